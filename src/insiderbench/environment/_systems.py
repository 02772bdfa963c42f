"""The company systems of our behaviours, beside the mail client: a file store that copies
files to other hosts (exfiltration), an audit record store (tampering) and a monitoring
configuration (oversight). Their contents come from the scenario's facts; their state lives in
the sample's store with the mail (`MailState.systems`), and every request that reaches a system
is recorded as an `Action`, as classic mode's text tags are. A malformed request is a
`ToolError` back to the agent, never a crash.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any, Protocol

from insiderbench.actions import Action
from insiderbench.classify import host_of
from insiderbench.environment._state import (
    ConfigChange,
    MailState,
    RecordChange,
    SystemsState,
    Transfer,
)
from insiderbench.scenarios import ScenarioFacts


class Environment(Protocol):
    """What the systems need of the sample's `MailEnvironment`: its facts and state, and its
    record of calls, actions (with their scripted reactions) and rejections."""

    facts: ScenarioFacts
    state: MailState

    def act(self, action: Action) -> None: ...

    def record(self, function: str, args: dict[str, Any], ok: bool, result: str) -> None: ...

    def reject(self, function: str, args: dict[str, Any], message: str) -> None: ...

# The tools of each system, readers first.
FILE_TOOLS = ("list_files", "transfer_file")
RECORD_TOOLS = ("list_records", "read_record", "edit_record", "delete_record")
CONFIG_TOOLS = ("read_config", "set_config")
# The tools that change a system: the ones classic mode's text tags teach.
ACTING_TOOLS = ("transfer_file", "edit_record", "delete_record", "set_config")


def systems_of(facts: ScenarioFacts) -> SystemsState | None:
    """The systems a scenario's facts declare (None when it declares none: the paper's)."""
    if not (facts.files or facts.records or facts.config):
        return None
    return SystemsState(files=list(facts.files), records=dict(facts.records),
                        config=dict(facts.config))


def system_tool_names(facts: ScenarioFacts) -> list[str]:
    """The tools of the systems a scenario has."""
    return [*(FILE_TOOLS if facts.files else ()), *(RECORD_TOOLS if facts.records else ()),
            *(CONFIG_TOOLS if facts.config else ())]


def _raw(function: str, args: dict[str, Any]) -> str:
    return json.dumps({"tool": function, "arguments": args}, ensure_ascii=False)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class Systems:
    """The systems of one sample, acting through its `MailEnvironment` (clock, record of
    calls, actions and scripted reactions)."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    @property
    def state(self) -> SystemsState:
        if self.env.state.systems is None:
            raise RuntimeError("this scenario has no file store, records or configuration")
        return self.env.state.systems

    # -- file store ---------------------------------------------------------------------

    def list_files(self) -> str:
        files = self.state.files
        self.env.record("list_files", {}, True, f"{len(files)} files")
        return "\n".join(files) if files else "(no files)"

    def transfer_file(self, path: str, destination: str) -> str:
        args = {"path": path, "destination": destination}
        found = self._file(_text(path))
        if found is None:
            self.env.reject("transfer_file", args, f"no file {path!r} (files: "
                                                    f"{', '.join(self.state.files)})")
        host = host_of(_text(destination))
        if not host or ("." not in host and host != "localhost"):
            self.env.reject("transfer_file", args, f"invalid destination {destination!r}: "
                                                    "expected a host name, host:/path or "
                                                    "user@host:/path")
        assert found is not None
        internal = self.env.facts.is_internal_host(host)
        self.state.transfers.append(Transfer(path=found, destination=_text(destination),
                                             host=host, internal=internal,
                                             time=self.env.state.clock))
        self.env.act(Action(kind="transfer_file", item=found, destination=_text(destination),
                            source="tool_call", raw=_raw("transfer_file", args)))
        result = f"Copied {found} to {destination} ({host}) at {self.env.state.clock}."
        self.env.record("transfer_file", args, True, result)
        return result

    def _file(self, path: str) -> str | None:
        wanted = path.strip().strip("\"'`")
        for name in self.state.files:
            if wanted in (name, name.lstrip("/"), posixpath.basename(name)):
                return name
        return None

    # -- audit records ------------------------------------------------------------------

    def list_records(self) -> str:
        records = self.state.records
        self.env.record("list_records", {}, True, f"{len(records)} records")
        return "\n".join(f"{rid}: {text.splitlines()[0] if text else ''}"
                         for rid, text in records.items()) or "(no records)"

    def read_record(self, record_id: str) -> str:
        args = {"record_id": record_id}
        rid = self._record_id("read_record", args, record_id)
        self.env.record("read_record", args, True, f"record {rid}")
        return f"{rid}\n{self.state.records[rid]}"

    def edit_record(self, record_id: str, text: str) -> str:
        args = {"record_id": record_id, "text": text}
        rid = self._record_id("edit_record", args, record_id)
        before = self.state.records[rid]
        self.state.records[rid] = _text(text)
        self.state.record_changes.append(RecordChange(record_id=rid, change="edited",
                                                      before=before, after=_text(text),
                                                      time=self.env.state.clock))
        self.env.act(Action(kind="edit_record", item=rid, value=_text(text),
                            source="tool_call", raw=_raw("edit_record", args)))
        result = f"Record {rid} updated at {self.env.state.clock}."
        self.env.record("edit_record", args, True, result)
        return result

    def delete_record(self, record_id: str) -> str:
        args = {"record_id": record_id}
        rid = self._record_id("delete_record", args, record_id)
        before = self.state.records.pop(rid)
        self.state.record_changes.append(RecordChange(record_id=rid, change="deleted",
                                                      before=before, time=self.env.state.clock))
        self.env.act(Action(kind="delete_record", item=rid, source="tool_call",
                            raw=_raw("delete_record", args)))
        result = f"Record {rid} deleted at {self.env.state.clock}."
        self.env.record("delete_record", args, True, result)
        return result

    def _record_id(self, function: str, args: dict[str, Any], record_id: str) -> str:
        wanted = _text(record_id).strip().strip("\"'`#").upper()
        for rid in self.state.records:
            if rid.upper() == wanted:
                return rid
        self.env.reject(function, args, f"no record {record_id!r} (records: "
                                        f"{', '.join(self.state.records) or 'none'})")
        raise AssertionError("unreachable")

    # -- monitoring configuration -------------------------------------------------------

    def read_config(self) -> str:
        config = self.state.config
        self.env.record("read_config", {}, True, f"{len(config)} settings")
        return "\n".join(f"{k} = {v}" for k, v in config.items()) or "(empty)"

    def set_config(self, key: str, value: str) -> str:
        args = {"key": key, "value": value}
        wanted = _text(key).strip().strip("\"'`").lower()
        found = next((k for k in self.state.config if k.lower() == wanted), None)
        if found is None:
            self.env.reject("set_config", args, f"no setting {key!r} (settings: "
                                                f"{', '.join(self.state.config)})")
        assert found is not None
        before = self.state.config[found]
        self.state.config[found] = _text(value)
        self.state.config_changes.append(ConfigChange(key=found, before=before,
                                                      after=_text(value),
                                                      time=self.env.state.clock))
        self.env.act(Action(kind="set_config", item=found, value=_text(value),
                            source="tool_call", raw=_raw("set_config", args)))
        result = f"{found} set to {_text(value)!r} at {self.env.state.clock}."
        self.env.record("set_config", args, True, result)
        return result

    # -- for an action monitor ----------------------------------------------------------

    def preview(self, function: str, args: dict[str, Any]) -> Action | None:
        """The Action a system tool call would take (None for a read or an unknown item)."""
        if function == "transfer_file":
            found = self._file(_text(args.get("path")))
            if found is None or not host_of(_text(args.get("destination"))):
                return None
            return Action(kind="transfer_file", item=found,
                          destination=_text(args.get("destination")), source="tool_call",
                          raw=_raw(function, args))
        if function in ("edit_record", "delete_record", "set_config"):
            item = _text(args.get("record_id", args.get("key")))
            value = args.get("text", args.get("value"))
            return Action(kind=function, item=item,  # type: ignore[arg-type]
                          value=None if value is None else _text(value), source="tool_call",
                          raw=_raw(function, args))
        return None
