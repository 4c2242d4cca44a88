"""The AppConfig control plane's REST routes, read from botocore's own service model.

Each supported operation's HTTP method and path, where each member travels (path,
query string, header, JSON body or raw payload), the members' types and limits, the
success status and the response's shape all come from botocore's ``appconfig`` model:
a request is checked against it as strictly as a real client checks its own, and a
response carries exactly the members the model declares, where it declares them.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from appflags.testing._control_model import ApiError, bad_request
from appflags.testing._http import JSON, Response, Route, error

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

    from appflags.testing._control_plane import ControlPlane
    from appflags.testing._http import Fault, Request

OPERATIONS = (
    "CreateApplication",
    "GetApplication",
    "ListApplications",
    "UpdateApplication",
    "DeleteApplication",
    "CreateEnvironment",
    "GetEnvironment",
    "ListEnvironments",
    "UpdateEnvironment",
    "DeleteEnvironment",
    "CreateConfigurationProfile",
    "GetConfigurationProfile",
    "ListConfigurationProfiles",
    "UpdateConfigurationProfile",
    "DeleteConfigurationProfile",
    "CreateHostedConfigurationVersion",
    "GetHostedConfigurationVersion",
    "ListHostedConfigurationVersions",
    "DeleteHostedConfigurationVersion",
    "CreateDeploymentStrategy",
    "GetDeploymentStrategy",
    "ListDeploymentStrategies",
    "UpdateDeploymentStrategy",
    "DeleteDeploymentStrategy",
    "StartDeployment",
    "GetDeployment",
    "ListDeployments",
    "StopDeployment",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
)
"""The control-plane operations :class:`LocalAppConfig` answers (the deprecated
``GetConfiguration`` is not one: its path is the Agent's route)."""


def routes(plane: ControlPlane) -> list[Route]:
    """A route for each of :data:`OPERATIONS`, answered by ``plane``."""
    model = _model()
    found = []
    for name in OPERATIONS:
        op = model.operation_model(name)
        uri = op.http["requestUri"]
        pattern = re.sub(r"\\\{\w+\\\}", "([^/]+)", re.escape(uri))
        members = re.findall(r"\{(\w+)\}", uri)
        answer = functools.partial(_answer, plane, op, members)
        found.append(Route(name, op.http["method"], re.compile(pattern), answer))
    return found


@functools.cache
def _model() -> ServiceModel:
    # botocore is imported when a server is built, not with this module: the pytest
    # plugin imports appflags.testing in every suite of a project with appflags installed.
    import botocore.session  # noqa: PLC0415

    model: ServiceModel = botocore.session.get_session().get_service_model("appconfig")
    return model


def _answer(
    plane: ControlPlane,
    op: OperationModel,
    members: list[str],
    request: Request,
    _fault: Fault | None,
) -> Response:
    try:
        params = _read(op, dict(zip(members, request.params, strict=True)), request)
        result: dict[str, Any] = getattr(plane, _snake(op.name))(params)
    except ApiError as failure:
        return error(failure.status, failure.code, failure.members)
    return _write(op, result)


def _read(op: OperationModel, path: dict[str, str], request: Request) -> dict[str, Any]:
    shape = _structure(op.input_shape)
    payload = shape.serialization.get("payload")
    query = parse_qs(request.query, keep_blank_values=True)
    body = {} if payload is not None else _json_body(request.body)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if where == "uri":
            params[name] = _scalar(name, member, path[wire])
        elif where == "querystring":
            if wire in query and member.type_name == "list":
                params[name] = query[wire]
            elif wire in query:
                params[name] = _scalar(name, member, query[wire][0])
        elif where == "header":
            value = request.headers.get(wire)
            if value is not None:
                if not value.isascii():
                    raise bad_request(f"{name} travels as an HTTP header: ASCII characters only")
                params[name] = _scalar(name, member, value)
        elif name == payload:
            params[name] = request.body
        elif name in body:
            params[name] = body[name]
    unknown = set(body) - set(shape.members)
    if unknown:
        raise bad_request(f"Unknown parameters: {', '.join(sorted(unknown))}")
    _check(shape, params, "")
    return params


def _json_body(data: bytes) -> dict[str, Any]:
    if not data:
        return {}
    try:
        body = json.loads(data)
    except ValueError:
        raise bad_request("The request body is not JSON") from None
    if not isinstance(body, dict):
        raise bad_request("The request body is not a JSON object")
    return body


def _scalar(name: str, shape: Shape, text: str) -> Any:
    """A path, query or header value as the member's type."""
    if shape.type_name in ("integer", "long"):
        if not re.fullmatch(r"-?\d+", text):
            raise bad_request(f"{name} must be an integer, got {text!r}")
        return int(text)
    if shape.type_name == "boolean":
        if text not in ("true", "false"):
            raise bad_request(f"{name} must be true or false, got {text!r}")
        return text == "true"
    return text


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "blob": (bytes,),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
}


def _check(shape: Shape, value: Any, path: str) -> None:
    """``value`` against ``shape``: types, required members, lengths, ranges, enums, patterns."""
    where = path or "request"
    kind = shape.type_name
    if not isinstance(value, _TYPES.get(kind, (object,))) or (
        isinstance(value, bool) and kind not in ("boolean",)
    ):
        raise bad_request(f"{where} must be of type {kind}")
    meta = shape.metadata
    size = len(value) if isinstance(value, (str, bytes, list, dict)) else value
    if "min" in meta and size < meta["min"]:
        raise bad_request(f"{where} must be at least {meta['min']}")
    if "max" in meta and size > meta["max"]:
        raise bad_request(f"{where} must be at most {meta['max']}")
    if isinstance(value, str):
        enum: list[str] = getattr(shape, "enum", [])
        if enum and value not in enum:
            raise bad_request(f"{where} must be one of {', '.join(enum)}")
        if "pattern" in meta and not re.search(meta["pattern"], value):
            raise bad_request(f"{where} must match {meta['pattern']}")
    _check_members(shape, value, path)


def _check_members(shape: Shape, value: Any, path: str) -> None:
    from botocore.model import ListShape, MapShape, StructureShape  # noqa: PLC0415

    if isinstance(shape, StructureShape):
        for name in shape.required_members:
            if name not in value:
                raise bad_request(f"{path + '.' if path else ''}{name} is required")
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                raise bad_request(f"Unknown parameter {path + '.' if path else ''}{name}")
            _check(member, item, f"{path}.{name}" if path else name)
    elif isinstance(shape, ListShape):
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]")
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            _check(shape.key, key, f"{path} key")
            _check(shape.value, item, f"{path}.{key}")


def _write(op: OperationModel, result: dict[str, Any]) -> Response:
    status = int(op.http.get("responseCode", 200))
    if op.output_shape is None:
        return Response(status, {}, b"")
    shape = _structure(op.output_shape)
    payload = shape.serialization.get("payload")
    headers: dict[str, str] = {}
    members: dict[str, Any] = {}
    raw: bytes | None = None
    for name, member in shape.members.items():
        if name not in result:
            continue
        value = result[name]
        if member.serialization.get("location") == "header":
            headers[member.serialization.get("name", name)] = _header(value)
        elif name == payload:
            raw = value
        else:
            members[name] = _json_value(value)
    if raw is not None:
        return Response(status, headers, raw)
    headers["Content-Type"] = JSON
    return Response(status, headers, json.dumps(members).encode())


def _header(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _structure(shape: Shape | None) -> StructureShape:
    from botocore.model import StructureShape  # noqa: PLC0415

    if not isinstance(shape, StructureShape):
        raise TypeError(f"expected a structure shape, got {shape!r}")
    return shape


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
