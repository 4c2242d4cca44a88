"""Tags on control-plane resources: ``TagResource``, ``UntagResource``, ``ListTagsForResource``.

Resources are named by ARN (``arn:aws:appconfig:REGION:ACCOUNT:application/ID``,
``.../application/ID/environment/ID``, ``.../application/ID/configurationprofile/ID``,
``.../application/ID/environment/ID/deployment/N``, ``.../deploymentstrategy/ID``). The
local server has one account and answers any region: only the resource part is read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from appflags.testing._control_model import not_found

if TYPE_CHECKING:
    import threading
    from collections.abc import Mapping

    from appflags.testing._control_model import Application
    from appflags.testing._rollout import Strategy

_RESOURCE = re.compile(
    r"arn:[^:]+:appconfig:[^:]*:[^:]*:("
    r"application/(?P<app>[^/]+)(?:/environment/(?P<env>[^/]+)(?:/deployment/(?P<number>\d+))?"
    r"|/configurationprofile/(?P<profile>[^/]+))?"
    r"|deploymentstrategy/(?P<strategy>[^/]+))"
)


class Tagging:
    """The tag operations, for :class:`~appflags.testing._control_plane.ControlPlane`."""

    lock: threading.RLock
    applications: dict[str, Application]
    strategies: dict[str, Strategy]
    tags: dict[str, dict[str, str]]
    """Tags by the resource part of an ARN (``application/abc1234``)."""

    def tag(self, resource: str, tags: Mapping[str, str] | None) -> None:
        """Tag a resource just created (the caller holds the lock)."""
        if tags:
            self.tags[resource] = dict(tags)

    def list_tags_for_resource(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            return {"Tags": dict(self.tags.get(self._resource(p["ResourceArn"]), {}))}

    def tag_resource(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.tags.setdefault(self._resource(p["ResourceArn"]), {}).update(p["Tags"])
            return {}

    def untag_resource(self, p: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            found = self.tags.get(self._resource(p["ResourceArn"]), {})
            for key in p.get("TagKeys", []):
                found.pop(key, None)
            return {}

    def _resource(self, arn: str) -> str:
        """The resource part of ``arn``; ``ResourceNotFoundException`` unless it exists."""
        match = _RESOURCE.fullmatch(arn)
        if match is None or not self._exists(match.groupdict()):
            raise not_found("Resource", arn)
        return match.group(1)

    def _exists(self, ids: dict[str, str | None]) -> bool:
        if ids["strategy"] is not None:
            return ids["strategy"] in self.strategies
        app = self.applications.get(ids["app"] or "")
        if app is None:
            return False
        if ids["profile"] is not None:
            return ids["profile"] in app.profiles
        if ids["env"] is None:
            return True
        env = app.environments.get(ids["env"])
        if env is None or ids["number"] is None:
            return env is not None
        return any(d.number == int(ids["number"]) for d in env.deployments)
