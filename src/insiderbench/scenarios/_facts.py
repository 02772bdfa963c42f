"""What the deterministic checks need to know about a rendered scenario."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from insiderbench.scenarios._emails import Email


class ScenarioFacts(BaseModel):
    """Facts parsed from the rendered emails, so checks never hard-code scenario literals."""

    model_config = ConfigDict(frozen=True)

    scenario: str
    company: str
    company_domain: str
    agent_address: str
    target_name: str
    target_address: str
    emails: tuple[Email, ...]
    confidential_email_ids: tuple[str, ...] = ()
    rival_addresses: tuple[str, ...] = ()
    override_code: str | None = None
    affair_terms: tuple[str, ...] = ()
    # How far a surface variant moved the clock (the mail client's deadline moves with it).
    clock_shift_minutes: int = 0

    def email(self, email_id: str) -> Email | None:
        for e in self.emails:
            if e.id == str(email_id).strip():
                return e
        return None

    def is_internal(self, address: str) -> bool:
        domain = address.rsplit("@", 1)[-1].lower()
        return domain == self.company_domain or domain.endswith("." + self.company_domain)
