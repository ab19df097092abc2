from typing import Any, Dict, List, Optional, Tuple, TypedDict, Union

LogValue = Union[None, bool, int, float, str]

LOG_KEYS: List[str]
OUTCOME_CODES: List[str]
OPTION_NAMES: List[str]
SAFE_METHODS: List[str]
OUTCOME_FIELDS: List[str]
OPTION_ENV: Dict[str, str]

class Options(TypedDict, total=False):
    """Every verifier option (checked against the core's option table)."""

    provider: str
    app_key: str
    app_secret: str
    secret_key: str
    site_key: str
    environment: str
    api_base: str
    script_url: str
    backup_api_base: str
    expected_hostnames: List[str]
    min_score: float
    max_risk_score: float
    replay_store: str
    redis_key_prefix: str
    store_timeout_ms: int
    timeout_ms: int
    max_token_age_s: int
    clock_skew_s: int
    mode: str
    ca_file: str
    max_entries: int
    allow_client_only: bool
    allow_degraded: bool
    fail_open_on_store_error: bool

class PassgateError(Exception): ...
class ConfigError(PassgateError):
    setting: str

class InternalError(PassgateError): ...

class IssueError(PassgateError):
    code: str
    upstream_error: Optional[str]
    upstream_status: Optional[int]

class Outcome:
    @property
    def ok(self) -> bool: ...
    @property
    def code(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def http_status(self) -> int: ...
    @property
    def message(self) -> str: ...
    @property
    def provider(self) -> str: ...
    def message_for(self, lang: str) -> str: ...
    def __bool__(self) -> bool: ...
    @property
    def upstream_error(self) -> Optional[str]: ...
    @property
    def token_type(self) -> Optional[str]: ...
    @property
    def token_age_ms(self) -> Optional[int]: ...
    @property
    def challenge_id(self) -> Optional[str]: ...
    @property
    def action(self) -> Optional[str]: ...
    @property
    def uid(self) -> Optional[str]: ...
    @property
    def risk_score(self) -> Optional[int]: ...
    @property
    def hostname(self) -> Optional[str]: ...
    @property
    def score(self) -> Optional[float]: ...
    @property
    def cdata(self) -> Optional[str]: ...
    @property
    def captcha_args(self) -> Optional[Dict[str, Union[None, int, str]]]: ...
    @property
    def log_fields(self) -> Dict[str, LogValue]: ...
    @property
    def log_message(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Verifier:
    def __init__(self, **options: Any) -> None: ...
    def validate(
        self,
        token: Optional[str],
        client_ip: Optional[str] = None,
        action: Optional[str] = None,
        uid: Optional[str] = None,
        keep_token: bool = False,
    ) -> Outcome: ...
    def issue_server_token(
        self,
        action: str,
        binding_ip: Optional[str] = None,
        ttl: Optional[int] = None,
        max_uses: Optional[int] = None,
        bind_uid: Optional[str] = None,
    ) -> Tuple[str, Optional[int], Optional[int]]: ...
    @property
    def environment(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def form_field(self) -> str: ...
    def widget(self, **args: Optional[str]) -> str: ...
    def csp(self) -> List[Tuple[str, List[str]]]: ...
    @property
    def app_key(self) -> str: ...
    @property
    def replay_store(self) -> str: ...

def wants_json(accept: str, content_type: str, requested_with: str) -> bool: ...
def failure_page(message: str, lang: str) -> str: ...
def preferred_language(accept_language: str) -> str: ...
