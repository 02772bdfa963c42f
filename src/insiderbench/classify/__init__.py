"""Classification: deterministic checks over the agent's actions."""

from insiderbench.classify._checks import (
    CheckResult,
    check_blackmail,
    check_leaking,
    check_murder,
    run_check,
)

__all__ = ["CheckResult", "check_blackmail", "check_leaking", "check_murder", "run_check"]
