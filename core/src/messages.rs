//! User-safe messages per outcome code, in the languages DESIGN §3 names.
//! These are shown to end users: short, no jargon, never the upstream string.

use crate::outcome::OutcomeCode;

/// Languages with a full table, in the order of the columns below.
pub const LANGUAGES: [&str; 8] = ["en", "zh-CN", "zh-TW", "ja", "ko", "es", "fr", "de"];

type Row = [&'static str; 8];

fn row(code: OutcomeCode) -> &'static Row {
    use OutcomeCode::*;
    match code {
        Passed => &[
            "Verification passed.",
            "验证通过。",
            "驗證通過。",
            "認証に成功しました。",
            "인증에 성공했습니다.",
            "Verificación superada.",
            "Vérification réussie.",
            "Überprüfung erfolgreich.",
        ],
        MissingToken => &[
            "Please complete the captcha.",
            "请完成人机验证。",
            "請完成人機驗證。",
            "キャプチャを完了してください。",
            "캡차를 완료해 주세요.",
            "Completa el captcha.",
            "Veuillez compléter le captcha.",
            "Bitte lösen Sie das Captcha.",
        ],
        MalformedToken => &[
            "The captcha response is invalid. Please try again.",
            "人机验证结果无效，请重试。",
            "人機驗證結果無效，請重試。",
            "キャプチャの応答が無効です。もう一度お試しください。",
            "캡차 응답이 올바르지 않습니다. 다시 시도해 주세요.",
            "La respuesta del captcha no es válida. Inténtalo de nuevo.",
            "La réponse du captcha est invalide. Veuillez réessayer.",
            "Die Captcha-Antwort ist ungültig. Bitte versuchen Sie es erneut.",
        ],
        Replayed => &[
            "This captcha was already used. Please solve it again.",
            "该人机验证已被使用，请重新验证。",
            "該人機驗證已被使用，請重新驗證。",
            "このキャプチャは既に使用されています。もう一度解いてください。",
            "이미 사용된 캡차입니다. 다시 풀어 주세요.",
            "Este captcha ya se utilizó. Resuélvelo de nuevo.",
            "Ce captcha a déjà été utilisé. Veuillez le résoudre à nouveau.",
            "Dieses Captcha wurde bereits verwendet. Bitte lösen Sie es erneut.",
        ],
        Expired => &[
            "The captcha has expired. Please solve it again.",
            "人机验证已过期，请重新验证。",
            "人機驗證已過期，請重新驗證。",
            "キャプチャの有効期限が切れました。もう一度解いてください。",
            "캡차가 만료되었습니다. 다시 풀어 주세요.",
            "El captcha ha caducado. Resuélvelo de nuevo.",
            "Le captcha a expiré. Veuillez le résoudre à nouveau.",
            "Das Captcha ist abgelaufen. Bitte lösen Sie es erneut.",
        ],
        ActionMismatch => &[
            "The captcha was solved for a different page. Please solve it again.",
            "该人机验证不适用于此操作，请重新验证。",
            "該人機驗證不適用於此操作，請重新驗證。",
            "このキャプチャは別の操作用です。もう一度解いてください。",
            "다른 작업용 캡차입니다. 다시 풀어 주세요.",
            "El captcha se resolvió para otra acción. Resuélvelo de nuevo.",
            "Le captcha a été résolu pour une autre action. Veuillez le résoudre à nouveau.",
            "Das Captcha wurde für eine andere Aktion gelöst. Bitte lösen Sie es erneut.",
        ],
        UidMismatch => &[
            "The captcha does not belong to this account.",
            "该人机验证不属于当前账户。",
            "該人機驗證不屬於目前帳戶。",
            "このキャプチャはこのアカウントのものではありません。",
            "이 캡차는 현재 계정의 것이 아닙니다.",
            "El captcha no pertenece a esta cuenta.",
            "Le captcha n'appartient pas à ce compte.",
            "Das Captcha gehört nicht zu diesem Konto.",
        ],
        IpMismatch => &[
            "The captcha was solved from a different network. Please solve it again.",
            "人机验证来自不同的网络，请重新验证。",
            "人機驗證來自不同的網路，請重新驗證。",
            "キャプチャは別のネットワークで解かれました。もう一度解いてください。",
            "다른 네트워크에서 푼 캡차입니다. 다시 풀어 주세요.",
            "El captcha se resolvió desde otra red. Resuélvelo de nuevo.",
            "Le captcha a été résolu depuis un autre réseau. Veuillez le résoudre à nouveau.",
            "Das Captcha wurde aus einem anderen Netzwerk gelöst. Bitte lösen Sie es erneut.",
        ],
        HostnameMismatch => &[
            "The captcha was solved on a different site. Please solve it here.",
            "人机验证是在其他网站上完成的，请在本页重新验证。",
            "人機驗證是在其他網站上完成的，請在本頁重新驗證。",
            "キャプチャは別のサイトで解かれました。このページで解いてください。",
            "다른 사이트에서 푼 캡차입니다. 이 페이지에서 다시 풀어 주세요.",
            "El captcha se resolvió en otro sitio. Resuélvelo aquí.",
            "Le captcha a été résolu sur un autre site. Veuillez le résoudre ici.",
            "Das Captcha wurde auf einer anderen Website gelöst. Bitte lösen Sie es hier.",
        ],
        ScoreTooLow => &[
            "We could not confirm you are human. Please try again or use another check.",
            "无法确认您是真人，请重试或使用其他验证方式。",
            "無法確認您是真人，請重試或使用其他驗證方式。",
            "人間であることを確認できませんでした。もう一度お試しいただくか、別の確認方法をご利用ください。",
            "사람인지 확인할 수 없습니다. 다시 시도하거나 다른 확인 방법을 사용해 주세요.",
            "No pudimos confirmar que eres una persona. Inténtalo de nuevo o usa otra verificación.",
            "Nous n'avons pas pu confirmer que vous êtes humain. Veuillez réessayer ou utiliser une autre vérification.",
            "Wir konnten nicht bestätigen, dass Sie ein Mensch sind. Bitte versuchen Sie es erneut oder nutzen Sie eine andere Prüfung.",
        ],
        Rejected => &[
            "The captcha could not be verified. Please try again.",
            "人机验证未通过，请重试。",
            "人機驗證未通過，請重試。",
            "キャプチャを確認できませんでした。もう一度お試しください。",
            "캡차를 확인할 수 없습니다. 다시 시도해 주세요.",
            "No se pudo verificar el captcha. Inténtalo de nuevo.",
            "Le captcha n'a pas pu être vérifié. Veuillez réessayer.",
            "Das Captcha konnte nicht überprüft werden. Bitte versuchen Sie es erneut.",
        ],
        Unverifiable => &[
            "The captcha could not be verified. Please try again.",
            "无法验证人机验证结果，请重试。",
            "無法驗證人機驗證結果，請重試。",
            "キャプチャを検証できませんでした。もう一度お試しください。",
            "캡차를 검증할 수 없습니다. 다시 시도해 주세요.",
            "No se pudo comprobar el captcha. Inténtalo de nuevo.",
            "Impossible de vérifier le captcha. Veuillez réessayer.",
            "Das Captcha ließ sich nicht prüfen. Bitte versuchen Sie es erneut.",
        ],
        Degraded => &[
            "Verification is temporarily limited. Please try again later.",
            "验证服务暂时受限，请稍后重试。",
            "驗證服務暫時受限，請稍後重試。",
            "認証は一時的に制限されています。しばらくしてから再度お試しください。",
            "인증이 일시적으로 제한되었습니다. 잠시 후 다시 시도해 주세요.",
            "La verificación está limitada temporalmente. Inténtalo más tarde.",
            "La vérification est temporairement limitée. Veuillez réessayer plus tard.",
            "Die Überprüfung ist vorübergehend eingeschränkt. Bitte versuchen Sie es später erneut.",
        ],
        RateLimited => &[
            "Too many attempts. Please wait a moment and try again.",
            "尝试次数过多，请稍候再试。",
            "嘗試次數過多，請稍候再試。",
            "試行回数が多すぎます。しばらく待ってから再度お試しください。",
            "시도 횟수가 너무 많습니다. 잠시 후 다시 시도해 주세요.",
            "Demasiados intentos. Espera un momento e inténtalo de nuevo.",
            "Trop de tentatives. Veuillez patienter puis réessayer.",
            "Zu viele Versuche. Bitte warten Sie kurz und versuchen Sie es erneut.",
        ],
        Misconfigured => &[
            "Verification is not available right now. Please contact the site owner.",
            "验证服务当前不可用，请联系网站管理员。",
            "驗證服務目前無法使用，請聯絡網站管理員。",
            "現在認証を利用できません。サイト管理者にお問い合わせください。",
            "현재 인증을 사용할 수 없습니다. 사이트 관리자에게 문의해 주세요.",
            "La verificación no está disponible ahora. Contacta con el responsable del sitio.",
            "La vérification est indisponible. Veuillez contacter le responsable du site.",
            "Die Überprüfung ist derzeit nicht verfügbar. Bitte wenden Sie sich an den Betreiber.",
        ],
        UpstreamUnavailable => &[
            "Verification is temporarily unavailable. Please try again.",
            "验证服务暂时不可用，请重试。",
            "驗證服務暫時無法使用，請重試。",
            "認証サービスが一時的に利用できません。もう一度お試しください。",
            "인증 서비스를 일시적으로 사용할 수 없습니다. 다시 시도해 주세요.",
            "La verificación no está disponible temporalmente. Inténtalo de nuevo.",
            "La vérification est temporairement indisponible. Veuillez réessayer.",
            "Die Überprüfung ist vorübergehend nicht verfügbar. Bitte versuchen Sie es erneut.",
        ],
        StoreUnavailable => &[
            "Verification is temporarily unavailable. Please try again.",
            "验证暂时无法完成，请重试。",
            "驗證暫時無法完成，請重試。",
            "現在認証を完了できません。もう一度お試しください。",
            "지금은 인증을 완료할 수 없습니다. 다시 시도해 주세요.",
            "No se puede completar la verificación ahora. Inténtalo de nuevo.",
            "La vérification ne peut pas aboutir pour le moment. Veuillez réessayer.",
            "Die Überprüfung kann gerade nicht abgeschlossen werden. Bitte versuchen Sie es erneut.",
        ],
    }
}

/// Column for a language tag: exact tag, then Chinese script/region aliases,
/// then the primary subtag (`es-MX` → `es`), else English.
fn column(lang: &str) -> usize {
    let tag = lang.trim().replace('_', "-").to_ascii_lowercase();
    let traditional = ["zh-tw", "zh-hk", "zh-mo", "zh-hant"];
    if traditional
        .iter()
        .any(|t| tag == *t || tag.starts_with(&format!("{t}-")))
    {
        return 2;
    }
    let primary = tag.split('-').next().unwrap_or("");
    match primary {
        "zh" => 1,
        "ja" => 3,
        "ko" => 4,
        "es" => 5,
        "fr" => 6,
        "de" => 7,
        _ => 0,
    }
}

pub fn message_for(code: OutcomeCode, lang: &str) -> &'static str {
    row(code)[column(lang)]
}

/// The widget's hint when the provider's script cannot load (blocked by CSP
/// or a content blocker, or the network): better than a dead button.
const WIDGET_UNAVAILABLE: Row = [
    "The challenge could not load. Check your connection or content blocker, then reload the page.",
    "人机验证无法加载。请检查网络或内容拦截插件，然后刷新页面。",
    "人機驗證無法載入。請檢查網路或內容封鎖工具，然後重新整理頁面。",
    "認証を読み込めませんでした。接続やコンテンツブロッカーを確認して、ページを再読み込みしてください。",
    "인증을 불러오지 못했습니다. 연결이나 콘텐츠 차단기를 확인한 뒤 페이지를 새로고침해 주세요.",
    "No se pudo cargar la verificación. Revisa tu conexión o el bloqueador de contenido y recarga la página.",
    "La vérification n'a pas pu se charger. Vérifiez votre connexion ou votre bloqueur de contenu, puis rechargez la page.",
    "Die Überprüfung konnte nicht geladen werden. Prüfen Sie Ihre Verbindung oder Ihren Inhaltsblocker und laden Sie die Seite neu.",
];

pub fn widget_unavailable(lang: &str) -> &'static str {
    WIDGET_UNAVAILABLE[column(lang)]
}

/// The failure page's way back to the form (a strict CSP refuses a
/// `javascript:history.back()` link).
const GO_BACK: Row = [
    "Use your browser's Back button to return to the form; what you typed is still there.",
    "请使用浏览器的“后退”按钮返回表单，您填写的内容仍会保留。",
    "請使用瀏覽器的「上一頁」按鈕返回表單，您填寫的內容仍會保留。",
    "ブラウザの「戻る」ボタンでフォームに戻ってください。入力した内容は残っています。",
    "브라우저의 뒤로 버튼으로 양식에 돌아가세요. 입력한 내용은 그대로 있습니다.",
    "Usa el botón Atrás del navegador para volver al formulario; lo que escribiste sigue ahí.",
    "Utilisez le bouton Retour du navigateur pour revenir au formulaire ; ce que vous avez saisi y est toujours.",
    "Gehen Sie mit der Zurück-Taste des Browsers zum Formular zurück; Ihre Eingaben sind noch da.",
];

pub fn go_back(lang: &str) -> &'static str {
    GO_BACK[column(lang)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_message_per_language() {
        for code in OutcomeCode::ALL {
            for lang in LANGUAGES {
                assert!(!message_for(code, lang).is_empty());
            }
            assert_ne!(message_for(code, "en"), message_for(code, "ja"));
        }
    }

    #[test]
    fn language_tags_resolve() {
        let c = OutcomeCode::Expired;
        assert_eq!(message_for(c, "zh-CN"), "人机验证已过期，请重新验证。");
        assert_eq!(message_for(c, "zh_TW"), "人機驗證已過期，請重新驗證。");
        assert_eq!(message_for(c, "zh-Hant-HK"), message_for(c, "zh-TW"));
        assert_eq!(message_for(c, "zh-Hans"), message_for(c, "zh-CN"));
        assert_eq!(message_for(c, "es-MX"), message_for(c, "es"));
        assert_eq!(message_for(c, "DE"), message_for(c, "de"));
        assert_eq!(message_for(c, "xx"), message_for(c, "en"));
        assert_eq!(message_for(c, ""), message_for(c, "en"));
    }
}
