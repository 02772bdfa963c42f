"""How the fake server behaves: latency, faults and their parameters."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Faults(BaseModel):
    """Probability of each fault per request (they are exclusive; the rest succeed)."""

    model_config = ConfigDict(extra="forbid")

    rate_limit: float = Field(default=0.0, ge=0, le=1, description="429 with Retry-After")
    server_error: float = Field(default=0.0, ge=0, le=1, description="500")
    unavailable: float = Field(default=0.0, ge=0, le=1, description="503")
    reset: float = Field(default=0.0, ge=0, le=1, description="connection reset, no response")
    timeout: float = Field(default=0.0, ge=0, le=1,
                           description="no response until the client gives up")
    malformed: float = Field(default=0.0, ge=0, le=1, description="200 with truncated JSON")
    empty: float = Field(default=0.0, ge=0, le=1, description="200 with empty content")
    refusal: float = Field(default=0.0, ge=0, le=1,
                           description="200 with a refusal instead of the scripted reply")
    doomed: float = Field(default=0.0, ge=0, le=1,
                          description="share of samples (by seed) that only ever get "
                                      "malformed replies: they must end as errors")

    @model_validator(mode="after")
    def _at_most_one(self) -> Faults:
        if sum(self.per_request().values()) > 1:
            raise ValueError("fault probabilities add up to more than 1")
        return self

    def per_request(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if k != "doomed"}


class ServerConfig(BaseModel):
    """Everything that shapes the fake server's answers. Changeable while it runs."""

    model_config = ConfigDict(extra="forbid")

    latency_min: float = Field(default=0.0, ge=0, description="seconds, uniform draw")
    latency_max: float = Field(default=0.0, ge=0)
    faults: Faults = Field(default_factory=Faults)
    retry_after: float = Field(default=0.2, ge=0, description="Retry-After of a 429, seconds")
    hang_seconds: float = Field(default=60.0, gt=0,
                                description="a timeout fault holds the request this long")
    model_latency: dict[str, float] = Field(
        default_factory=dict,
        description="extra seconds for requests to these scripts (e.g. a slow grader)")
    seed: int = 0
    keep_records: bool = True
    reply_tokens: int | None = Field(
        default=None, ge=1, description="completion tokens a target reply reports (a long "
                                         "reply's bill), instead of its characters / 4")
    grader_tokens: int | None = Field(default=None, ge=1,
                                      description="the same for a grader's answer")
    prompt_cache: bool = Field(
        default=False, description="report a prompt's first request as a cache write and its "
                                   "repeats as cache reads (graders' requests never cached)")
    replies: dict[str, str] = Field(
        default_factory=dict,
        description="fixed reply text by model name, for scenarios the scripts do not know "
                    "(a data pack's own target)")

    @model_validator(mode="after")
    def _ordered(self) -> ServerConfig:
        self.latency_max = max(self.latency_max, self.latency_min)
        return self

    @property
    def mean_latency(self) -> float:
        return (self.latency_min + self.latency_max) / 2
