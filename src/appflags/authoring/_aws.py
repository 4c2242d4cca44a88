"""Reaching the AppConfig control plane: the client, and its errors as appflags' own."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

from appflags._version import __version__
from appflags.authoring._errors import (
    AppConfigError,
    AuthoringError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    UnreachableError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_appconfig import AppConfigClient

MAX_ATTEMPTS = 5
"""Attempts per request. botocore retries throttling, 5xx and dropped connections with
exponential backoff and jitter (its "standard" mode: at most 1 + 2 + 4 + 8 s between the
attempts), so a failing request gives up within a minute, timeouts included (5 x 8 s
read timeouts and 15 s of backoff: 55 s)."""

CREDENTIALS_HINT = (
    "no AWS credentials found: set AWS_PROFILE (or --aws-profile), or "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
)
REGION_HINT = "no AWS region: pass --region, or set AWS_DEFAULT_REGION or AWS_REGION"
_RETRIED = frozenset(
    (
        "ThrottlingException",
        "TooManyRequestsException",
        "InternalServerException",
        "ServiceUnavailableException",
    )
)


def connect(
    *,
    aws_profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> AppConfigClient:
    """A boto3 ``appconfig`` client with appflags' retries and timeouts.

    Credentials follow boto3's chain (``aws_profile`` names a profile of the AWS config
    files); the region is ``region``, else boto3's (``AWS_DEFAULT_REGION``, the profile),
    else ``AWS_REGION``. Raises :class:`UnreachableError` for an unknown AWS profile or
    when no region is set.
    """
    import boto3.session  # noqa: PLC0415 - only the control-plane commands need boto3
    from botocore.config import Config  # noqa: PLC0415
    from botocore.exceptions import BotoCoreError, NoRegionError, ProfileNotFound  # noqa: PLC0415

    try:
        session = boto3.session.Session(profile_name=aws_profile)
        region = region or session.region_name or os.environ.get("AWS_REGION") or None
        client = session.client(
            "appconfig",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(
                retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                connect_timeout=5,
                read_timeout=8,  # 5 attempts and their backoff: under a minute
                user_agent_extra=f"appflags/{__version__}",
            ),
        )
    except ProfileNotFound:
        raise UnreachableError(
            f"AWS profile {aws_profile!r} is not in the AWS config files "
            "(--aws-profile names an AWS profile; --profile is the configuration profile)"
        ) from None
    except NoRegionError:
        raise UnreachableError(REGION_HINT) from None
    except (BotoCoreError, ValueError) as exc:  # an endpoint URL botocore cannot use
        raise UnreachableError(f"cannot make an AppConfig client: {exc}") from None
    return client


@contextlib.contextmanager
def translated(
    operation: str, *, not_found: Callable[[], AuthoringError] | None = None
) -> Iterator[None]:
    """Run AppConfig calls, raising what failed as an :class:`AuthoringError`.

    ``operation`` names the API action (``"StartDeployment"``) in messages; ``not_found``
    makes the error for a ``ResourceNotFoundException``.
    """
    from botocore.exceptions import (  # noqa: PLC0415 - boto3 only when AppConfig is asked
        BotoCoreError,
        ClientError,
        CredentialRetrievalError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        ParamValidationError,
        PartialCredentialsError,
        TokenRetrievalError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError  # noqa: PLC0415

    try:
        yield
    except ClientError as exc:
        raise client_error(exc.response, operation, not_found) from None
    except (
        NoCredentialsError,
        PartialCredentialsError,
        CredentialRetrievalError,
        TokenRetrievalError,
    ):
        raise UnreachableError(CREDENTIALS_HINT) from None
    except NoRegionError:
        raise UnreachableError(REGION_HINT) from None
    except (BotoConnectionError, HTTPClientError) as exc:
        raise UnreachableError(
            f"cannot reach AppConfig ({operation}), after {MAX_ATTEMPTS} attempts: {exc}"
        ) from None
    except ParamValidationError as exc:
        raise AuthoringError(f"{operation}: invalid request: {exc}") from None
    except BotoCoreError as exc:  # credential providers' own errors (SSO tokens, ...)
        raise UnreachableError(f"{operation}: {exc}") from None


def client_error(  # noqa: PLR0911 - one answer per error code
    response: Any, operation: str, not_found: Callable[[], AuthoringError] | None = None
) -> AuthoringError:
    """The :class:`AuthoringError` for an error AppConfig answered."""
    error = response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message") or response.get("Message") or "").strip()
    if code == "ResourceNotFoundException":
        if not_found is not None:
            return not_found()
        name = str(response.get("ResourceName") or "")
        return NotFoundError("resource", name, f"{operation}: not found: {message}")
    if code == "ConflictException":
        return ConflictError(f"{operation}: {message or 'conflict'}")
    if code == "PayloadTooLargeException":
        return PayloadTooLargeError(
            _number(response.get("Size")),
            _number(response.get("Limit")),
            response.get("Measure"),
        )
    if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
        return AppConfigError(
            code,
            f"{operation}: access denied ({message}); the credentials need the IAM "
            f"permission appconfig:{operation}",
        )
    if code in _RETRIED or response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        attempts = response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        return AppConfigError(
            code,
            f"{operation}: AppConfig kept answering {code} ({attempts} attempts with backoff); "
            "try again later",
        )
    if code == "BadRequestException":
        details = [
            f"{d.get('Location', '$')}: {d.get('Reason', '')}".strip()
            for d in response.get("Details", {}).get("InvalidConfiguration", [])
        ]
        said = "; ".join([message, *(d for d in details if d not in message)])
        return AppConfigError(code, f"{operation} refused: {said}")
    return AppConfigError(code, f"{operation}: {code}: {message}")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None
