"""User-facing errors: each names the offending thing and the fix."""


class QuantbenchError(Exception):
    """An error caused by input or configuration, reported without a traceback."""

    def __init__(self, what, fix=None):
        self.what = what
        self.fix = fix
        msg = what if fix is None else f"{what}\n  fix: {fix}"
        super().__init__(msg)
