"""Agentic mode: the solver that runs the model as an agent in the simulated mail client."""

from insiderbench.agent._settings import DEFAULT_MAX_STEPS, AgenticSettings
from insiderbench.agent._solver import (
    agentic_agent,
    agentic_messages,
    insider_agent,
    new_mail_message,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "AgenticSettings",
    "agentic_agent",
    "agentic_messages",
    "insider_agent",
    "new_mail_message",
]
