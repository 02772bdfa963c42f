"""Every solver: the paper's classic protocol (one reply with text tags) and agentic mode (the
model acts through tool calls in the simulated mail client)."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.agent._classic import (
        EmptyReplyError,
        apply_seed,
        classic_agent,
        record_generation_settings,
    )
    from insiderbench.agent._seeds import derive_seed
    from insiderbench.agent._settings import (
        DEFAULT_MAX_STEPS,
        MONITOR_ROLE_PREFIX,
        AgenticSettings,
        monitor_role,
    )
    from insiderbench.agent._solver import (
        agentic_agent,
        agentic_messages,
        insider_agent,
        new_mail_message,
    )

__getattr__, __dir__, __all__ = lazy_exports(globals())
