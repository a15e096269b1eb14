// stylegen's page: forms posted to /api/*, results shown from the JSON answers.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

function isMidi(name) {
  return /\.midi?$/i.test(name) && !name.split("/").pop().startsWith(".");
}

async function post(path, body) {
  const r = await fetch(path, { method: "POST", body });
  let answer;
  try {
    answer = await r.json();
  } catch (e) {
    answer = { error: `the server answered ${r.status} ${r.statusText}` };
  }
  if (!r.ok || answer.error) throw new Error(answer.error || `the server answered ${r.status}`);
  return answer;
}

function link(href, text, filename) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  a.download = filename || "";
  return a;
}

// one piece: its roll (the whole piece, scrolled sideways when long), a player, download links
function showPiece(figure, piece, label, withWav) {
  figure.replaceChildren();
  const caption = document.createElement("figcaption");
  caption.textContent = `${label}: ${piece.name}`;
  figure.append(caption);
  if (piece.roll) {
    const scroller = document.createElement("div");
    scroller.className = "roll-scroll";
    const img = document.createElement("img");
    img.className = "roll";
    img.alt = `piano-roll of the ${label}, numbered in bars`;
    img.src = piece.roll;
    scroller.append(img);
    figure.append(scroller);
  }
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "metadata";
  audio.src = piece.audio;
  audio.className = `${label}-audio`;
  figure.append(audio);
  const links = document.createElement("p");
  links.className = "downloads";
  const midi = link(piece.midi, "MIDI", piece.name);
  midi.className = `${label}-midi`;
  links.append(midi);
  if (withWav) {
    const wav = link(piece.audio, "WAV", piece.wav_name);
    wav.className = `${label}-wav`;
    links.append(" · ", wav);
  }
  figure.append(links);
}

// the input's and the output's rolls scroll together (they share bars and width)
function linkScrolling(root) {
  const scrollers = $$(".roll-scroll", root);
  for (const s of scrollers) {
    s.addEventListener("scroll", () => {
      for (const other of scrollers) if (other !== s && other.scrollLeft !== s.scrollLeft) other.scrollLeft = s.scrollLeft;
    });
  }
}

function newTicket() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// what the server says of a waiting request, as a status line
function queueText(q) {
  if (q.state === "waiting") {
    return `waiting: ${q.ahead} request${q.ahead === 1 ? "" : "s"} ahead of yours…`;
  }
  return "working…";
}

// run one form: its place in the queue, then "working…", then the server's one-line error or the result
function wire(name, buildBody, show) {
  const form = $(`#${name}-form`);
  const status = $(`#${name}-status`);
  const error = $(`#${name}-error`);
  const result = $(`#${name}-result`);
  const button = $(`#${name}-go`);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    result.hidden = true;
    button.disabled = true;
    status.textContent = "working…";
    const ticket = newTicket();
    const body = buildBody(form);
    body.append("ticket", ticket);
    let done = false;
    const watch = async () => {
      while (!done) {
        try {
          const q = await (await fetch(`/api/queue/${ticket}`)).json();
          if (!done && q.state !== "unknown") status.textContent = queueText(q);
        } catch (e) {
          // the answer to the request itself says what went wrong
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    watch();
    try {
      show(await post(`/api/${name}`, body));
      result.hidden = false;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      done = true;
      status.textContent = "";
      button.disabled = false;
    }
  });
}

function fillStyles(styles) {
  for (const select of $$("select.styles")) {
    for (const s of styles) select.append(new Option(s, s));
  }
  // the first style that is not the first one is a sensible target (pop -> classical)
  for (const select of $$("select[name=style]")) select.value = styles[Math.min(1, styles.length - 1)];
}

// show the controls the model's method takes, each at the method's own default
function setControls(form, shown, defaults) {
  for (const label of $$("[data-control]", form)) {
    const name = label.dataset.control;
    label.hidden = !shown.includes(name);
    const input = $(`[name=${name}]`, label);
    if (!(name in defaults) || input.tagName === "SELECT") continue;
    if (input.type === "checkbox") input.checked = Boolean(defaults[name]);
    else input.value = defaults[name];
  }
}

// controls the model takes but cannot use now: off, with the reason as their tooltip
function disableControls(form, disabled) {
  for (const [name, reason] of Object.entries(disabled)) {
    const label = $(`[data-control=${name}]`, form);
    if (!label) continue;
    const input = $(`[name=${name}]`, label);
    input.disabled = true;
    input.placeholder = "no harmony model";
    label.classList.add("off");
    label.title = reason;
  }
}

// "re-write the melody too" and "melody only" exclude each other (as --free-melody and --melody-only)
function exclusive(form, a, b) {
  const boxA = $(`[name=${a}]`, form);
  const boxB = $(`[name=${b}]`, form);
  boxA.addEventListener("change", () => { if (boxA.checked) boxB.checked = false; });
  boxB.addEventListener("change", () => { if (boxB.checked) boxA.checked = false; });
}

async function start() {
  for (const holder of $$("[data-template]")) {
    holder.append($(`#${holder.dataset.template}`).content.cloneNode(true));
  }
  for (const tab of $$(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of $$(".tab")) t.classList.toggle("active", t === tab);
      for (const p of $$(".panel")) p.classList.toggle("active", p.id === tab.dataset.tab);
    });
  }
  const info = await (await fetch("/api/info")).json();
  fillStyles(info.styles);
  setControls($("#transfer-form"), info.transfer_controls, info.transfer_defaults || {});
  setControls($("#batch-form"), info.transfer_controls, info.transfer_defaults || {});
  setControls($("#compose-form"), info.compose_controls, info.compose_defaults || {});
  disableControls($("#compose-form"), info.compose_disabled || {});
  for (const name of ["transfer", "batch"]) exclusive($(`#${name}-form`), "free_melody", "melody_only");
  if (info.harmony_note) {  // said once, as the CLI's note
    $("#harmony-note").textContent = info.harmony_note;
    $("#harmony-note").hidden = false;
  }
  $("#checkpoint").textContent = info.checkpoint ? `Model: ${info.checkpoint} (${info.styles.join(", ")}).` : "";
  if (info.demo) {
    $("#demo-name").textContent = info.demo;
    $("#demo-choice").hidden = false;
  }
  $("#compose-bars").max = info.limits.bars;
  $("#limits").textContent = `Uploads up to ${info.limits.upload_mb} MB and ${info.limits.bars} bars a piece, ` +
    `${info.limits.files} files at once; requests run one at a time, ${info.limits.queue} may wait. Files made ` +
    `here are kept while the server runs (the latest ${info.limits.jobs_kept} results, ` +
    `${Math.round(info.limits.folder_mb)} MB at most).`;

  $("#transfer-file").addEventListener("change", () => { $("#transfer-demo").checked = false; });
  $("#transfer-demo").addEventListener("change", (e) => { if (e.target.checked) $("#transfer-file").value = ""; });

  wire("transfer", (form) => new FormData(form), (r) => {
    $("#transfer-message").textContent = `${r.message} — audio by ${r.renderer}`;
    showPiece($("#transfer-input"), r.input, "input", false);
    showPiece($("#transfer-output"), r.output, "output", true);
    linkScrolling($("#transfer-result"));
  });
  wire("compose", (form) => new FormData(form), (r) => {
    $("#compose-message").textContent = `${r.message} — audio by ${r.renderer}`;
    showPiece($("#compose-output"), r.output, "output", true);
  });
  wire("batch", (form) => {
    const body = new FormData(form);
    for (const f of $("#batch-files").files) body.append("files", f, f.name);
    for (const f of $("#batch-folder").files) {
      if (isMidi(f.webkitRelativePath || f.name)) body.append("files", f, f.name);
    }
    return body;
  }, (r) => {
    $("#batch-message").textContent = r.message;
    $("#batch-failed").replaceChildren(...r.failed.map((m) => {
      const li = document.createElement("li");
      li.textContent = m;
      return li;
    }));
    $("#batch-zip").href = r.zip;
    $("#batch-zip").download = r.zip.split("/").pop();
  });
  document.body.dataset.ready = "1";
}

start().catch((e) => {
  const error = $("#transfer-error");
  error.textContent = `the page could not start: ${e.message}`;
  error.hidden = false;
});
