"""stylegen's local web page: upload a piece, pick a style, listen, see the rolls, download.

    stylegen serve                      # http://127.0.0.1:7860

``service.py`` does the work with the public API the CLI uses (no web framework in it),
``rolls.py`` draws the page's piano-rolls; ``app.py`` is the Starlette app that serves
``static/`` and a small JSON API over it.  The
framework is an optional extra (``pip install -e ".[web]"``): nothing here is imported by
``import stylegen`` or by any other command.  docs/web.md describes the page.
"""
