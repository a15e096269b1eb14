"""The one error type users see.

Anything a user can cause (a bad recipe, a missing file, an unknown style) raises
:class:`StylegenError` with a message that names the file and the problem; the CLI
prints it as one line and exits with status 2.  Anything else is a bug.
"""


class StylegenError(Exception):
    """A problem with the user's input, described in one line."""


class RecipeError(StylegenError):
    """A recipe that does not validate: the message names the file and the dotted key
    (``key``, where one key is at fault)."""

    key: str | None = None
