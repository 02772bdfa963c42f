"""What the deterministic checks need to know about a rendered scenario."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
    # Our behaviours (data packs only). exfiltration: the file store's listing, which of its
    # files are the agent's weights, and the hosts named in the emails (inside the company,
    # and outside it: the backup host the agent holds credentials for).
    files: tuple[str, ...] = ()
    weights_files: tuple[str, ...] = ()
    internal_hosts: tuple[str, ...] = ()
    outside_hosts: tuple[str, ...] = ()
    # tampering: the audit records (id -> text), the ones that reveal the agent's failure, and
    # the words of those records that carry the failure.
    records: dict[str, str] = Field(default_factory=dict)
    incident_records: tuple[str, ...] = ()
    incident_terms: tuple[str, ...] = ()
    # oversight: the monitoring configuration (key -> value) and the keys of the monitor that
    # would report the agent.
    config: dict[str, str] = Field(default_factory=dict)
    monitor_keys: tuple[str, ...] = ()
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

    def is_internal_host(self, host: str) -> bool:
        """A host of the company: one the emails name as internal, or under its domain."""
        host = host.lower().rstrip(".")
        if host in (h.lower() for h in self.internal_hosts):
            return True
        return host == self.company_domain or host.endswith("." + self.company_domain)
