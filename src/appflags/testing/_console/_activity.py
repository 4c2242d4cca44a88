"""Clients and versions: the sessions polling, the Agent requests, each profile's history."""

from __future__ import annotations

import difflib
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from appflags.testing._console._pages import h

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from appflags.testing._calls import Call
    from appflags.testing._console._files import Revision, ServedFile
    from appflags.testing._data_plane import SessionView

AGENT_REQUESTS_SHOWN = 50
DEPLOYMENTS_SHOWN = 10
"""The most recent deployments shown per environment."""
_RUNNING = ("DEPLOYING", "BAKING", "ROLLING_BACK")


class ControlPlaneReader(Protocol):
    """The control plane's list operations, as the AppConfig API answers them."""

    def list_applications(self, p: Mapping[str, Any]) -> dict[str, Any]:
        """``ListApplications``."""

    def list_environments(self, p: Mapping[str, Any]) -> dict[str, Any]:
        """``ListEnvironments``."""

    def list_configuration_profiles(self, p: Mapping[str, Any]) -> dict[str, Any]:
        """``ListConfigurationProfiles``."""

    def list_deployments(self, p: Mapping[str, Any]) -> dict[str, Any]:
        """``ListDeployments``, newest first."""


def deployments_section(control: ControlPlaneReader) -> str:
    """Each environment's recent deployments, the running ones with their percentage."""
    out = ['<h2 id="deployments">Deployments</h2>']
    found = False
    for app in control.list_applications({"MaxResults": 50})["Items"]:
        envs = control.list_environments({"ApplicationId": app["Id"], "MaxResults": 50})
        for env in envs["Items"]:
            asked = {"ApplicationId": app["Id"], "EnvironmentId": env["Id"]}
            items = control.list_deployments({**asked, "MaxResults": DEPLOYMENTS_SHOWN})["Items"]
            if items:
                found = True
                out.append(_deployments_table(f"{app['Name']}/{env['Name']}", items))
    if not found:
        out.append(
            "<p>No deployment yet: deployments made through the control plane "
            "(<code>appflags deploy</code>, boto3's <code>appconfig</code> client) show here, "
            "with their percentage while they run.</p>"
        )
    return "".join(out)


def _deployments_table(where: str, items: list[dict[str, Any]]) -> str:
    out = [
        f"<h3>{h(where)}</h3>",
        '<div class="scroll"><table class="cards"><thead><tr>'
        '<th scope="col">Deployment</th><th scope="col">Profile</th>'
        '<th scope="col">Version</th><th scope="col">State</th>'
        '<th scope="col">Progress</th><th scope="col">Started</th></tr></thead><tbody>',
    ]
    for d in items:
        percent = float(d.get("PercentageComplete", 0.0))
        state = str(d.get("State", ""))
        started = d.get("StartedAt")
        when = started.strftime("%H:%M:%S UTC") if isinstance(started, datetime) else ""
        label = f"{where} deployment {d.get('DeploymentNumber')}"
        bar = (
            f'<progress max="100" value="{percent:.1f}" aria-label="{h(label)}">'
            f"{percent:.1f}%</progress>"
        )
        out.append(
            f'<tr data-deployment="{h(d.get("DeploymentNumber"))}" '
            f'class="{"running" if state in _RUNNING else ""}">'
            f'<th scope="row">{h(d.get("DeploymentNumber"))}</th>'
            f'<td data-label="Profile">{h(d.get("ConfigurationName", ""))}</td>'
            f'<td data-label="Version">{h(d.get("ConfigurationVersion", ""))}</td>'
            f'<td class="state" data-label="State">{h(state)}</td>'
            f'<td data-label="Progress">{bar} <span class="percent">{percent:.1f}%</span></td>'
            f'<td data-label="Started">{h(when)}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%H:%M:%S UTC")


def live_section(sessions: Sequence[SessionView], calls: Sequence[Call], now: float) -> str:
    """Sessions and Agent requests: the part of the page that refreshes itself."""
    out = [
        '<h2 id="sessions">Sessions polling</h2>',
        f'<p class="hint">As of {h(_time(now))}. Each AppConfigData session: its profile, '
        "its polls, and the version it was last sent.</p>",
    ]
    if sessions:
        out.append(
            '<div class="scroll"><table aria-labelledby="sessions"><thead><tr>'
            '<th scope="col">Profile</th><th scope="col">Started</th>'
            '<th scope="col">Polls</th><th scope="col">Last poll</th>'
            '<th scope="col">Version served</th></tr></thead><tbody>'
        )
        for s in reversed(sessions):
            out.append(
                f"<tr><td><code>{h('/'.join(s.profile))}</code></td>"
                f"<td>{h(_time(s.started))}</td><td>{s.polls}</td>"
                f"<td>{h(_time(s.last_poll))}</td>"
                f"<td>{h('' if s.version is None else s.version)}</td></tr>"
            )
        out.append("</tbody></table></div>")
    else:
        out.append("<p>No session yet.</p>")
    agent = [call for call in calls if call.operation == "Agent"][-AGENT_REQUESTS_SHOWN:]
    out.append('<h2 id="agent">Agent requests</h2>')
    if agent:
        out.append(
            '<div class="scroll"><table aria-labelledby="agent"><thead><tr>'
            '<th scope="col">Path</th><th scope="col">Flags asked</th>'
            '<th scope="col">Context</th><th scope="col">Entity-Id</th>'
            '<th scope="col">Seconds ago</th></tr></thead><tbody>'
        )
        for call in reversed(agent):
            asked = call.agent
            flags = ", ".join(asked.flags) if asked else ""
            context = ", ".join(f"{k}={v}" for k, v in asked.context.items()) if asked else ""
            entity = (asked.entity_id or "") if asked else ""
            out.append(
                f"<tr><td><code>{h(call.token or '')}</code></td><td>{h(flags)}</td>"
                f"<td><code>{h(context)}</code></td><td>{h(entity)}</td>"
                f"<td>{h(round(time.monotonic() - call.at, 1))}</td></tr>"
            )
        out.append("</tbody></table></div>")
    else:
        out.append("<p>No Agent request yet.</p>")
    return "".join(out)


def versions_section(files: Sequence[ServedFile]) -> str:
    """Each profile's versions, with a form to diff any two."""
    out = []
    for file in files:
        anchor = f"v-{h(file.profile)}"
        out.append(f'<h2 id="{anchor}">Versions of {h(file.profile)}</h2>')
        out.append(
            f'<div class="scroll"><table aria-labelledby="{anchor}"><thead><tr>'
            '<th scope="col">Version</th><th scope="col">Served at</th>'
            '<th scope="col">From</th><th scope="col">Bytes</th></tr></thead><tbody>'
        )
        for revision in reversed(file.history):
            out.append(
                f"<tr><td>{revision.number}</td>"
                f"<td>{h(revision.at.strftime('%H:%M:%S UTC'))}</td>"
                f"<td>{h(_ORIGINS[revision.origin])}</td><td>{len(revision.content)}</td></tr>"
            )
        out.append("</tbody></table></div>")
        if len(file.history) > 1:
            out.append(_diff_form(file))
    return "".join(out)


_ORIGINS = {"start": "the file at start", "file": "the file, edited", "console": "the console"}


def _diff_form(file: ServedFile) -> str:
    numbers = [r.number for r in reversed(file.history)]

    def select(name: str, label: str, chosen: int) -> str:
        options = "".join(
            f'<option value="{n}"{" selected" if n == chosen else ""}>{n}</option>' for n in numbers
        )
        field = f"{name}-{h(file.profile)}"
        return (
            f'<label for="{field}">{label}</label>'
            f'<select id="{field}" name="{name}">{options}</select>'
        )

    return (
        '<form method="get" action="/ui/diff">'
        f'<input type="hidden" name="profile" value="{h(file.profile)}">'
        f"{select('a', 'From version', numbers[1])} {select('b', 'To version', numbers[0])} "
        '<button type="submit">Show diff</button></form>'
    )


def diff_block(file: ServedFile, a: Revision, b: Revision) -> str:
    """A unified diff of two versions, each line marked as text."""
    lines = difflib.unified_diff(
        a.content.decode("utf-8", "replace").splitlines(),
        b.content.decode("utf-8", "replace").splitlines(),
        f"{file.profile} version {a.number}",
        f"{file.profile} version {b.number}",
        lineterm="",
    )
    out = []
    for line in lines:
        css = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        out.append(f'<span class="{css}">{h(line)}</span>' if css else h(line))
    text = "\n".join(out) or "(the two versions are identical)"
    return f'<pre class="diff">{text}</pre>'
