"""Inference: from a loaded generator and a piece to a new piece.  No I/O, no training.

    options.py   what a user asks for, checked once: style names and mixtures, the guidance
                 scale (``strength``), temperature, seed
    melody.py    which notes are the melody (the named track, else the top voice), the cells
                 the generator must keep, and the original notes put back afterwards
    pieces.py    a Score on any grid <-> the model's grid: bar positions, content features,
                 the clamp; and the generated roll written back into the piece
    sampling.py  the tensor work: pieces padded into one batch, one ``sample`` pass under
                 ``torch.inference_mode`` on one thread, a state primed from a primer
    harmony.py   harmony plans (the harmony model's content) for a form or a bare melody
    compose.py   a piece composed from nothing or a primer continued, assembled as a Score

``stylegen/transfer.py`` (``load``, ``Model``) puts these together and reads and writes
files; ``stylegen/commands/transfer.py`` and ``generate.py`` parse command lines.  Nothing
here imports ``stylegen.training``.
"""
