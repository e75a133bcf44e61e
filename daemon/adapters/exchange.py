"""Exchange Web Services (EWS): the account both Exchange adapters work through, and their errors.

`exchange_account` builds an exchangelib `Account` from the configuration: the
EWS address given (or found by autodiscover), NTLM, basic or OAuth2
credentials, TLS verified against the system's CAs or the `tls_ca` bundle, and
a retry policy that waits as long as a busy server asks (ErrorServerBusy with
its BackOffMilliseconds) but no longer than `max_retry_wait` seconds in all.
Nothing is sent until the account is first used, except with autodiscover,
which looks the server up at once.

`explain` turns whatever exchangelib, requests or the network raise into a
`Failure`: its cause and a plain message that names the server. Neither a
password, a client secret nor a token ever appears in it. The mailbox and the
sender turn a `Failure` into their own errors.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit

import requests
import requests.adapters
from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    NTLM,
    OAUTH2,
    UTC,
    Account,
    BaseProtocol,
    Configuration,
    Credentials,
    FaultTolerance,
    Identity,
    OAuth2Credentials,
    Version,
)
from exchangelib.errors import (
    AutoDiscoverError,
    CASError,
    ErrorAccessDenied,
    ErrorConnectionFailed,
    ErrorImpersonateUserDenied,
    ErrorImpersonationDenied,
    ErrorInternalServerError,
    ErrorInternalServerTransientError,
    ErrorMailboxMoveInProgress,
    ErrorMailboxStoreUnavailable,
    ErrorNonExistentMailbox,
    ErrorNotDelegate,
    ErrorQuotaExceeded,
    ErrorSendAsDenied,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    ErrorTooManyObjectsOpened,
    EWSError,
    RateLimitError,
    RedirectError,
    ResponseMessageError,
    TransportError,
    UnauthorizedError,
)
from exchangelib.protocol import Protocol
from oauthlib.oauth2 import OAuth2Error

from daemon.config import ExchangeServer

_E = TypeVar("_E", bound=BaseException)

Cause = Literal["login", "denied", "busy", "unreachable", "server", "rejected", "setup"]

_AUTH_TYPES = {"ntlm": NTLM, "basic": BASIC, "oauth2": OAUTH2}

# Answers about the mailbox's account rather than about the request: fixed by an
# administrator, after which the same request succeeds.
_DENIED = (
    ErrorAccessDenied,
    ErrorImpersonateUserDenied,
    ErrorImpersonationDenied,
    ErrorNonExistentMailbox,
    ErrorNotDelegate,
    ErrorSendAsDenied,
)
# Answers that mean "not now": the server or the mailbox database is unwell.
_NOT_NOW = (
    ErrorConnectionFailed,
    ErrorInternalServerError,
    ErrorInternalServerTransientError,
    ErrorMailboxMoveInProgress,
    ErrorMailboxStoreUnavailable,
    ErrorQuotaExceeded,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    ErrorTooManyObjectsOpened,
)


class ExchangeSetupError(Exception):
    """The configuration cannot be put to use as it stands (an unreadable CA bundle)."""


# What the adapters catch around every call into exchangelib.
EWS_ERRORS: tuple[type[BaseException], ...] = (
    EWSError,
    requests.RequestException,
    OAuth2Error,
    OSError,
    ExchangeSetupError,
)


@dataclass(frozen=True)
class Failure:
    """Why a call to the Exchange server failed, in words an office IT person can act on."""

    cause: Cause
    message: str


# --------------------------------------------------------------------------- the account


def exchange_account(settings: ExchangeServer, *, version: Version | None = None) -> Account:
    """An exchangelib account for the configured mailbox; no request is sent yet.

    With `ews_url` that address is used as it is; otherwise autodiscover finds it
    from `primary_smtp_address` (and does so here, over the network). `version`
    skips asking the server which Exchange version it runs. Each account gets a
    connection pool of its own, so that its timeout and retry policy are the ones
    configured for it.
    """
    _keep_credentials_out_of_logs()
    credentials = _credentials(settings)
    _trust(settings)
    config = Configuration(
        service_endpoint=settings.ews_url or None,
        credentials=credentials,
        auth_type=_AUTH_TYPES[settings.auth],
        version=version,
        retry_policy=BoundedFaultTolerance(max_wait=settings.max_retry_wait),
    )
    # App-only OAuth2 tokens act for a mailbox by impersonation; a user's own
    # credentials open it as its owner or delegate.
    access_type = IMPERSONATION if settings.auth == "oauth2" else DELEGATE
    if settings.ews_url:
        with suppress(KeyError):
            del Protocol[config]  # exchangelib shares pools by address and login
        account = Account(
            primary_smtp_address=settings.primary_smtp_address,
            config=config,
            autodiscover=False,
            access_type=access_type,
            default_timezone=UTC,
        )
    else:
        account = Account(
            primary_smtp_address=settings.primary_smtp_address,
            config=config,
            autodiscover=True,
            access_type=access_type,
            default_timezone=UTC,
        )
        if settings.tls_ca is not None:
            _VerifyingAdapter.trust(account.protocol.service_endpoint, str(settings.tls_ca))
    account.protocol.TIMEOUT = settings.timeout
    return account


def release(account: Account) -> None:
    """Close the account's connections and forget its pool; nothing is said to the server."""
    protocol = account.protocol
    with suppress(Exception):
        protocol.close()
    with suppress(Exception):
        cached, _ = Protocol[protocol.config]
        if cached is protocol:
            del Protocol[protocol.config]


def server_name(settings: ExchangeServer, account: Account | None = None) -> str:
    """The server as every message names it: its EWS address, or how it is found."""
    if account is not None:
        with suppress(Exception):
            return str(account.protocol.service_endpoint)
    if settings.ews_url:
        return settings.ews_url
    return f"of {settings.primary_smtp_address} (found by autodiscover)"


def _keep_credentials_out_of_logs() -> None:
    """exchangelib's DEBUG records show each request's headers: the password or the token."""
    logger = logging.getLogger("exchangelib")
    if logger.getEffectiveLevel() < logging.INFO:
        logger.setLevel(logging.INFO)


def _credentials(settings: ExchangeServer) -> Credentials | OAuth2Credentials:
    if settings.auth == "oauth2":
        secret = settings.oauth2_client_secret
        return OAuth2Credentials(
            client_id=settings.oauth2_client_id,
            client_secret=secret.get_secret_value() if secret is not None else "",
            tenant_id=settings.oauth2_tenant_id,
            identity=Identity(primary_smtp_address=settings.primary_smtp_address),
        )
    password = settings.password
    return Credentials(settings.username, password.get_secret_value() if password else "")


class BoundedFaultTolerance(FaultTolerance):  # type: ignore[misc]
    """exchangelib's FaultTolerance, bounded in all and with a refused login told apart.

    FaultTolerance waits as long as the server's BackOffMilliseconds asks (else
    10 s, doubling) and gives up only when one single wait would exceed
    `max_wait`: a server that keeps answering "busy, come back in a second" is
    waited on forever. Here the waits since the last good answer add up, and the
    request fails (RateLimitError) when the next one would take the sum past
    `max_wait`. And an HTTP 401, which FaultTolerance retries as a sign of
    throttling, is a refused login: retrying with the same password cannot help,
    and the next poll tries again anyway.
    """

    def __init__(self, max_wait: float) -> None:
        super().__init__(max_wait=max_wait)
        self.waited = 0.0

    def back_off(self, seconds: float | None) -> None:
        wait = self.DEFAULT_BACKOFF if seconds is None else seconds
        with self._back_off_lock:
            if self.waited + wait > self.max_wait:
                self.waited = 0.0  # the next request has the whole allowance again
                raise RateLimitError("Max timeout reached", wait=wait)
            self.waited += wait
        super().back_off(wait)

    def raise_response_errors(self, response: requests.Response) -> None:
        if response.status_code == 200:
            self.waited = 0.0
        elif response.status_code == 401:
            raise UnauthorizedError(f"Invalid credentials for {response.url}")
        super().raise_response_errors(response)


# --------------------------------------------------------------------------- TLS


class _VerifyingAdapter(requests.adapters.HTTPAdapter):
    """Verifies a server against the CA bundle configured for it (`tls_ca`), else the system's.

    exchangelib takes one HTTP adapter class for all its connections
    (`BaseProtocol.HTTP_ADAPTER_CLS`), so the bundles are kept by host and port.
    Verification is never turned off: a server with no bundle of its own is
    checked against the system's CAs.
    """

    bundles: ClassVar[dict[str, str]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def trust(cls, url: str, bundle: str) -> None:
        """Verify the server at `url` (https://host[:port]/...) against `bundle`."""
        key = _host_and_port(url)
        if key is None:
            return
        with cls._lock:
            cls.bundles[key] = bundle
            BaseProtocol.HTTP_ADAPTER_CLS = cls

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        bundle = self.bundles.get(_host_and_port(request.url or "") or "")
        if bundle is not None and verify is not False:
            # Also instead of a bundle named by REQUESTS_CA_BUNDLE: tls_ca is this server's.
            verify = bundle
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )


def _host_and_port(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port or (80 if parts.scheme == "http" else 443)
    except ValueError:
        return None
    return f"{parts.hostname.lower()}:{port}"


def _trust(settings: ExchangeServer) -> None:
    """Have the CA bundle in `tls_ca` verify the configured server (and its autodiscover hosts)."""
    if settings.tls_ca is None:
        return
    bundle = str(settings.tls_ca)
    try:
        ssl.create_default_context(cafile=bundle)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ExchangeSetupError(f"cannot use the CA bundle {bundle} (tls_ca): {reason}") from None
    if settings.ews_url:
        _VerifyingAdapter.trust(settings.ews_url, bundle)
    if settings.autodiscover:
        domain = settings.primary_smtp_address.rpartition("@")[2]
        _VerifyingAdapter.trust(f"https://{domain}/", bundle)
        _VerifyingAdapter.trust(f"https://autodiscover.{domain}/", bundle)


# --------------------------------------------------------------------------- errors


def explain(exc: BaseException, settings: ExchangeServer, doing: str, server: str) -> Failure:
    """Why `doing` failed, from an exception exchangelib, requests or the network raised."""
    failure = _explain(exc, settings, doing, f"the Exchange server {server}")
    return Failure(failure.cause, scrub(failure.message, settings))


def scrub(text: str, settings: ExchangeServer) -> str:
    """`text` without the configured password and client secret, should a server echo them."""
    for secret in (settings.password, settings.oauth2_client_secret):
        value = secret.get_secret_value() if secret is not None else ""
        if value:
            text = text.replace(value, "***")
    return text


def _explain(exc: BaseException, settings: ExchangeServer, doing: str, server: str) -> Failure:
    if isinstance(exc, ExchangeSetupError):
        return Failure("setup", str(exc))
    if isinstance(exc, UnauthorizedError) and settings.auth == "oauth2":
        return Failure(
            "login",
            f"{server} refused the login with the OAuth2 token of client "
            f"{settings.oauth2_client_id}: check that the application may use EWS for "
            f"{settings.primary_smtp_address}",
        )
    if isinstance(exc, UnauthorizedError):
        return Failure(
            "login",
            f"{server} refused the login as {settings.username} ({settings.auth}): "
            "check the username and password (the account may also be locked out)",
        )
    if isinstance(exc, OAuth2Error):
        said = exc.description or exc.error or type(exc).__name__
        return Failure(
            "login",
            f"the OAuth2 token service refused client {settings.oauth2_client_id} "
            f"of tenant {settings.oauth2_tenant_id} while {doing}: {_short(said)}",
        )
    if isinstance(exc, CASError):
        return Failure("server", f"{server} failed while {doing}: {_short(exc.cas_error)}")
    if isinstance(exc, RateLimitError):
        return Failure(
            "busy",
            f"{server} stayed busy while {doing}; gave up after waiting as long as "
            f"max_retry_wait allows ({settings.max_retry_wait} s)",
        )
    if isinstance(exc, _DENIED):
        return Failure(
            "denied",
            f"{server} does not let {settings.username} open the mailbox "
            f"{settings.primary_smtp_address} ({type(exc).__name__}: {_short(str(exc))})",
        )
    network = _network_problem(exc, settings, doing, server)
    if network is not None:
        return network
    if isinstance(exc, _NOT_NOW):
        return Failure("busy", f"{server} could not serve {doing} for now: {_ews_error(exc)}")
    if isinstance(exc, ResponseMessageError) and type(exc) not in (
        ResponseMessageError,
        TransportError,
    ):
        return Failure("rejected", f"{server} refused {doing}: {_ews_error(exc)}")
    if isinstance(exc, RedirectError):
        return Failure(
            "server",
            f"{server} redirected {doing} to {exc.url}; set ews_url to the EWS address "
            "(usually https://<mail server>/EWS/Exchange.asmx)",
        )
    if isinstance(exc, AutoDiscoverError):
        return Failure(
            "unreachable",
            f"autodiscover found no EWS address for {settings.primary_smtp_address}: "
            f"{_short(str(exc))}; set ews_url instead",
        )
    if isinstance(exc, EWSError):
        return Failure(
            "server", f"{server} gave an unusable answer while {doing}: {_short(str(exc))}"
        )
    return Failure(
        "unreachable", f"the connection to {server} failed while {doing}: {_short(str(exc))}"
    )


def _network_problem(
    exc: BaseException, settings: ExchangeServer, doing: str, server: str
) -> Failure | None:
    """A failure to reach the server at all (refused, unknown host, timeout, TLS), if it is one."""
    if isinstance(exc, ResponseMessageError) and not isinstance(exc, ErrorTimeoutExpired):
        return None  # the server answered
    if isinstance(exc, ErrorTimeoutExpired) and not _from_network(exc):
        return None  # the server itself said its time ran out
    causes = list(_causes(exc))
    unverified = _first(causes, ssl.SSLCertVerificationError)
    if unverified is not None:
        return Failure(
            "unreachable",
            f"the certificate of {server} could not be verified ({unverified.verify_message});"
            " if the server's certificate is signed by a private CA, set tls_ca to that"
            " CA's certificate",
        )
    tls = _first(causes, ssl.SSLError)
    if tls is not None or _first(causes, requests.exceptions.SSLError) is not None:
        reason = tls.reason if tls is not None and tls.reason else "the handshake failed"
        return Failure("unreachable", f"TLS with {server} failed while {doing}: {reason}")
    if _first(causes, ConnectionRefusedError) is not None:
        return Failure("unreachable", f"cannot connect to {server}: connection refused")
    unknown = _first(causes, socket.gaierror)
    if unknown is not None:
        host = urlsplit(settings.ews_url or "").hostname or server
        return Failure(
            "unreachable", f"cannot find the Exchange server {host}: {unknown.strerror or unknown}"
        )
    if _first(causes, requests.Timeout) is not None or _first(causes, TimeoutError) is not None:
        return Failure(
            "unreachable", f"{server} did not answer within {settings.timeout:g} s while {doing}"
        )
    if isinstance(exc, requests.RequestException | OSError | ErrorTimeoutExpired):
        said: BaseException = _first(causes, OSError) or exc
        reason = getattr(said, "strerror", None) or str(said)
        return Failure(
            "unreachable", f"the connection to {server} failed while {doing}: {_short(reason)}"
        )
    return None


def _first(causes: list[BaseException], kind: type[_E]) -> _E | None:
    return next((cause for cause in causes if isinstance(cause, kind)), None)


def _from_network(exc: BaseException) -> bool:
    return any(isinstance(c, requests.RequestException | OSError) for c in list(_causes(exc))[1:])


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it was raised from, breadth first (urllib3 keeps its own `reason`)."""
    queue: deque[BaseException] = deque([exc])
    seen: set[int] = set()
    while queue and len(seen) < 20:
        current = queue.popleft()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked: list[Any] = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
        ]
        linked.extend(current.args)
        queue.extend(item for item in linked if isinstance(item, BaseException))


def _ews_error(exc: BaseException) -> str:
    text = _short(str(exc))
    name = type(exc).__name__
    return f"{name} ({text})" if text and text != name else name


def _short(text: str, limit: int = 300) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[: limit - 3] + "..."
