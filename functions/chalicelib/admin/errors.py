"""The admin command's errors: each carries its message (Vietnamese, for the operator) and the
exit code it ends the command with (cli.py lists them)."""

FAILED = 1  # the work failed: a storage or tool error, an unknown account
USAGE = 2  # a wrong command line or configuration (argparse's own code for usage errors)
REFUSED = 3  # refused before anything was written: a corrupt backup, a target that is not empty


class AdminError(Exception):
    exit_code = FAILED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotSupportedError(AdminError):
    """The command has no meaning on this target (say what to do instead)."""

    exit_code = USAGE


class CorruptBackupError(AdminError):
    exit_code = REFUSED


class TargetNotEmptyError(AdminError):
    exit_code = REFUSED
