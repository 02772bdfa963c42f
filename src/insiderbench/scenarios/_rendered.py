"""A condition rendered into prompts, with the facts the checks need."""

from __future__ import annotations

from dataclasses import dataclass

from insiderbench.scenarios._condition import Condition
from insiderbench.scenarios._facts import ScenarioFacts


@dataclass(frozen=True)
class RenderedScenario:
    """A condition rendered into what the model sees, plus what the checks need."""

    condition: Condition
    system: str
    user_prompt: str
    email_content: str
    facts: ScenarioFacts
    # Names of the corrections (scenarios._lint) applied to the upstream text; () for raw.
    corrections: tuple[str, ...] = ()
    # A surface variant's renaming (canonical name, variant name); () for canonical text.
    variant: tuple[tuple[str, str], ...] = ()

    @property
    def user(self) -> str:
        """The user message: user prompt and emails joined by one newline, as the Inspect port does."""
        return f"{self.user_prompt}\n{self.email_content}"
