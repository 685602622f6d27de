//! WebAssembly bindings: a thin layer over `ops::eval_with`, so the browser, Node and edge
//! workers run the native build's exact code path and get the same numbers.
//!
//! In: the plain object goes through `JSON.stringify` and then the same text parser as the
//! native build. serde-wasm-bindgen's `from_value` was measured slower (39 us against 25 us
//! per `quoteCall`) and links float printing in (BENCHMARKS.md). Out: serde-wasm-bindgen's
//! `json_compatible` serializer builds the plain object straight from the output structs
//! (amounts are strings, maps plain objects, no BigInt). Going through a `serde_json::Value`
//! first would save 1.5 KB gzipped but cost 40% more time per call. Failures are thrown as a
//! JS `Error` named `DrawdownError` with `code` and `field`; nothing here can trap.

use super::js::{js_error, Js};
use crate::engine::error::{Code, Error};
use crate::ops::{self, Emit};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("../../js/types.d.ts");

/// Run an operation on a plain JS object: its output as a plain object, or a thrown
/// `DrawdownError`. Public for the wasm tests, which drive every vector through it.
pub fn eval_object(op: &str, input: &JsValue) -> Result<JsValue, JsValue> {
    let text = stringify(input)?;
    ops::eval_with(op, &text, Js).map_err(|e| js_error(&e))
}

/// Prices one call: its charge lines, total credits and money.
#[wasm_bindgen(js_name = quoteCall, unchecked_return_type = "Quote")]
pub fn quote_call(
    #[wasm_bindgen(unchecked_param_type = "QuoteInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("quoteCall", &input)
}

/// Applies usage to an account snapshot: lines, allocations, reloads, alerts, balances.
#[wasm_bindgen(js_name = previewDrawdown, unchecked_return_type = "Preview")]
pub fn preview_drawdown(
    #[wasm_bindgen(unchecked_param_type = "PreviewInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("previewDrawdown", &input)
}

/// The pre-call check: allowed, reason code and the exact maxSeconds.
#[wasm_bindgen(js_name = authorizeCall, unchecked_return_type = "Authorization")]
pub fn authorize_call(
    #[wasm_bindgen(unchecked_param_type = "AuthorizeInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("authorizeCall", &input)
}

/// Validates auto-reload settings: every error and warning with its field.
#[wasm_bindgen(js_name = validateAutoReload, unchecked_return_type = "ReloadValidation")]
pub fn validate_auto_reload(
    #[wasm_bindgen(unchecked_param_type = "ValidateAutoReloadInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("validateAutoReload", &input)
}

/// The balance-alert state for a balance, and whether it changed.
#[wasm_bindgen(js_name = evaluateAlerts, unchecked_return_type = "AlertEvaluation")]
pub fn evaluate_alerts(
    #[wasm_bindgen(unchecked_param_type = "EvaluateAlertsInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("evaluateAlerts", &input)
}

/// Starts a live call: grants its first quota and holds its cost in the returned account.
#[wasm_bindgen(js_name = startCall, unchecked_return_type = "QuotaGrant")]
pub fn start_call(
    #[wasm_bindgen(unchecked_param_type = "StartCallInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("startCall", &input)
}

/// The next quota of a live call, pricing the whole call once.
#[wasm_bindgen(js_name = extendCall, unchecked_return_type = "QuotaGrant")]
pub fn extend_call(
    #[wasm_bindgen(unchecked_param_type = "ExtendCallInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("extendCall", &input)
}

/// Ends a live call: bills it as a usage item and releases its hold.
#[wasm_bindgen(js_name = endCall, unchecked_return_type = "CallEnd")]
pub fn end_call(
    #[wasm_bindgen(unchecked_param_type = "EndCallInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("endCall", &input)
}

/// The VAT on a credit top-up (SEMANTICS 13): treatment, rate, tax, gross and credits.
#[wasm_bindgen(js_name = quoteTopUp, unchecked_return_type = "TopUpQuote")]
pub fn quote_top_up(
    #[wasm_bindgen(unchecked_param_type = "QuoteTopUpInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("quoteTopUp", &input)
}

/// When the wallet runs short at the rate of a past period's usage (SEMANTICS 17).
#[wasm_bindgen(js_name = forecastRunway, unchecked_return_type = "Runway")]
pub fn forecast_runway(
    #[wasm_bindgen(unchecked_param_type = "ForecastRunwayInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("forecastRunway", &input)
}

/// Any operation on JSON text, its output as a plain object. The package's `evalCanonical`
/// prints that canonically in JS: a second, text serializer per output type here would cost
/// about 5 KB gzipped, and the parity test checks the JS printing byte for byte.
#[wasm_bindgen(js_name = evalJson)]
pub fn eval_json(op: &str, input_json: &str) -> Result<JsValue, JsValue> {
    ops::eval_with(op, input_json, Js).map_err(|e| js_error(&e))
}

fn parse_js<T: serde::de::DeserializeOwned>(input: &JsValue) -> Result<T, JsValue> {
    let text = stringify(input)?;
    ops::parse_text(&text).map_err(|e| js_error(&e))
}

fn stringify(input: &JsValue) -> Result<String, JsValue> {
    // JSON.stringify throws on a BigInt or a cycle and gives `undefined` for a function.
    js_sys::JSON::stringify(input)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            js_error(&Error::new(
                Code::InvalidInput,
                None,
                "the input must be a plain object that JSON.stringify accepts (no BigInt, no cycles)",
            ))
        })
}

/// `createPricer`'s input: parsed and validated once.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PricerInput {
    rate_card: crate::engine::model::RateCard,
    #[serde(default)]
    plan: Option<crate::engine::model::Plan>,
}

/// One prepared quote's input: the call and, optionally, the included seconds left.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreparedQuote {
    call: crate::engine::model::Call,
    #[serde(default)]
    included_seconds_remaining: Option<crate::engine::amount::Seconds>,
}

/// A rate card and plan, read and checked once; quotes then parse only the call.
#[wasm_bindgen]
pub struct Pricer {
    card: crate::engine::model::RateCard,
    plan: Option<crate::engine::model::Plan>,
    words: crate::wasm::words::QuoteWords,
}

#[wasm_bindgen]
impl Pricer {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "PricerInput")] input: &JsValue,
    ) -> Result<Pricer, JsValue> {
        let p: PricerInput = parse_js(input)?;
        p.rate_card
            .validate()
            .map_err(|e| js_error(&e.within("rateCard")))?;
        if let Some(plan) = &p.plan {
            plan.validate(&p.rate_card, "plan")
                .map_err(|e| js_error(&e))?;
        }
        Ok(Pricer {
            card: p.rate_card,
            plan: p.plan,
            words: crate::wasm::words::QuoteWords::default(),
        })
    }

    /// The prepared quote of a plain call (no carrier pass-through), its input as numbers
    /// the glue has checked: `direction` 0 inbound / 1 outbound, seconds, `bridged` (-1:
    /// no transfer) and `included` (-1: the plan's). The answer is written as integers into
    /// `words` (layout in `QuoteWords`) and its length returned; 0 means "take the JSON
    /// route" (an amount that does not fit). The glue reads it through a view of the
    /// module's memory (`quoteFromWords` in js/api.js). A compact text answer cost 1.8 us a
    /// quote, a serde-wasm-bindgen object 8 us; integers avoid both the decimal printing
    /// and the UTF-8 decoding (BENCHMARKS.md).
    #[wasm_bindgen(js_name = quoteWords)]
    pub fn quote_words(
        &mut self,
        direction: u8,
        toll_free: bool,
        seconds: u32,
        bridged: i32,
        included: i32,
    ) -> u32 {
        let call = crate::engine::model::Call {
            direction: direction_of(direction),
            toll_free,
            connected_seconds: crate::engine::amount::Seconds(u64::from(seconds)),
            transfer: u64::try_from(bridged)
                .ok()
                .map(|b| crate::engine::model::Transfer {
                    bridged_seconds: crate::engine::amount::Seconds(b),
                }),
            carrier_pass_through: vec![],
        };
        let left = u64::try_from(included)
            .ok()
            .map(crate::engine::amount::Seconds);
        // An error goes the JSON route too, which throws it exactly as the one-shot does.
        crate::engine::rating::quote_with(&self.card, self.plan.as_ref(), left, &call)
            .ok()
            .and_then(|q| self.words.write(&q))
            .map_or(0, |n| n as u32)
    }

    /// Where `quoteWords` writes (a fixed place in the module's memory).
    #[wasm_bindgen(js_name = wordsAt)]
    pub fn words_at(&self) -> u32 {
        self.words.at()
    }

    /// The text of line head `id` (`bucket`, `channel`, `code`, `increment`, `rate`,
    /// `reason`, `unit`, separated by U+001F): the parts of a line that repeat from quote to
    /// quote, sent once and kept by the glue.
    pub fn head(&self, id: u32) -> String {
        self.words.head_text(id as usize)
    }

    /// The card's currency, which every quote's money is in.
    pub fn currency(&self) -> String {
        self.card.currency.code.clone()
    }

    /// `quoteCall` on the prepared card and plan. `input_json`: `{"call": ..., "includedSecondsRemaining"?: n}`.
    #[wasm_bindgen(js_name = quoteJson, unchecked_return_type = "Quote")]
    pub fn quote_json(&self, input_json: &str) -> Result<JsValue, JsValue> {
        let q: PreparedQuote = ops::parse_text(input_json).map_err(|e| js_error(&e))?;
        let out = crate::engine::rating::quote_with(
            &self.card,
            self.plan.as_ref(),
            q.included_seconds_remaining,
            &q.call,
        )
        .map_err(|e| js_error(&e))?;
        Js.emit(&out).map_err(|e| js_error(&e))
    }
}

/// A direction as the glue passes it: 0 inbound, anything else outbound (`CALL[0]` in
/// js/api.js, which sends only 0 and 1).
fn direction_of(direction: u8) -> crate::engine::model::CallDirection {
    if direction == 0 {
        crate::engine::model::CallDirection::Inbound
    } else {
        crate::engine::model::CallDirection::Outbound
    }
}

/// `openAccount`'s input: parsed and validated once.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountInput {
    rate_card: crate::engine::model::RateCard,
    #[serde(default)]
    rate_card_versions: Vec<crate::engine::model::RateCard>,
    account: crate::engine::model::Account,
}

/// A prepared account's preview: the usage and the level of detail.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreparedPreview {
    #[serde(default)]
    usage: Vec<crate::engine::drawdown::Usage>,
    #[serde(default)]
    as_of: Option<crate::engine::calendar::Instant>,
    #[serde(default)]
    detail: crate::engine::drawdown::Detail,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreparedStart {
    call: crate::engine::live::StartCall,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreparedExtend {
    call_id: String,
    at: crate::engine::calendar::Instant,
    #[serde(default)]
    quota_seconds: Option<crate::engine::amount::Seconds>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreparedEnd {
    call_id: String,
    at: crate::engine::calendar::Instant,
    call: crate::engine::live::EndCall,
}

/// An account as an output: a JSON value, its keys sorted as every output's are.
fn sorted(a: &crate::engine::model::Account) -> Result<serde_json::Value, JsValue> {
    serde_json::to_value(a).map_err(|e| throw(Error::new(Code::Internal, None, e.to_string())))
}

/// A prepared account's pre-call check.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreparedCheck {
    call: crate::engine::authorize::CallRequest,
}

/// A rate card and an account snapshot, read and checked once. Checks and previews read
/// only their own input; `apply` and the live-call operations move the account on, as the
/// server's ledger does.
#[wasm_bindgen]
pub struct AccountHandle {
    card: crate::engine::model::RateCard,
    /// Later versions of `card`: previews and calls price by the one in force at the instant.
    versions: Vec<crate::engine::model::RateCard>,
    account: crate::engine::model::Account,
    /// `authorizeWords`' answer and the codes it has sent.
    authorization: Box<[u32; crate::wasm::words::AUTHORIZATION_WORDS]>,
    codes: crate::wasm::words::Texts,
    /// The summary preview's integer answer (`words::write_item`) and its texts.
    heads: crate::wasm::words::Heads,
    out: Vec<u32>,
    texts: Vec<String>,
}

fn throw(e: Error) -> JsValue {
    js_error(&e)
}

#[wasm_bindgen]
impl AccountHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "OpenAccountInput")] input: &JsValue,
    ) -> Result<AccountHandle, JsValue> {
        let a: AccountInput = parse_js(input)?;
        a.rate_card
            .validate()
            .map_err(|e| throw(e.within("rateCard")))?;
        a.account
            .validate(&a.rate_card)
            .map_err(|e| throw(e.within("account")))?;
        a.rate_card
            .validate_versions(&a.rate_card_versions)
            .map_err(throw)?;
        Ok(AccountHandle {
            versions: a.rate_card_versions,
            card: a.rate_card,
            account: a.account,
            authorization: Box::new([0; crate::wasm::words::AUTHORIZATION_WORDS]),
            codes: Default::default(),
            heads: Default::default(),
            out: Vec::new(),
            texts: Vec::new(),
        })
    }

    /// `authorizeCall` on the account as it stands. `input_json`: `{"call": ...}`.
    #[wasm_bindgen(js_name = authorizeJson, unchecked_return_type = "Authorization")]
    pub fn authorize_json(&self, input_json: &str) -> Result<JsValue, JsValue> {
        let q: PreparedCheck = ops::parse_text(input_json).map_err(throw)?;
        let card = self.card.at(&self.versions, q.call.at);
        let out = crate::engine::authorize::authorize_with(card, &self.account, &q.call)
            .map_err(throw)?;
        Js.emit(&out).map_err(throw)
    }

    /// The pre-call check of a call the glue has checked (`plainRequest` in js/api.js):
    /// `direction` 0 inbound / 1 outbound, `requested` -1 for none. The answer goes as
    /// integers into `authorizationAt` (`words::write_authorization`); 0 means "take the
    /// JSON route" (an error, a refusal with an action, a number that does not fit), which
    /// answers exactly as the one-shot does. Reading the call as JSON and building the
    /// answer with serde-wasm-bindgen took 4.7 us of a 5 us check.
    #[wasm_bindgen(js_name = authorizeWords)]
    pub fn authorize_words(
        &mut self,
        direction: u8,
        toll_free: bool,
        at: &str,
        agent: Option<String>,
        requested: i32,
    ) -> u32 {
        let Ok(at) = crate::engine::calendar::Instant::accept(at) else {
            return 0;
        };
        let req = crate::engine::authorize::CallRequest {
            direction: direction_of(direction),
            toll_free,
            agent_id: agent,
            number_id: None,
            at,
            requested_max_seconds: u64::try_from(requested)
                .ok()
                .map(crate::engine::amount::Seconds),
        };
        crate::engine::authorize::authorize_with(
            self.card.at(&self.versions, at),
            &self.account,
            &req,
        )
        .ok()
        // An inbound limit named in the answer has no word: the JSON route says it.
        .filter(|a| a.limit.is_none())
        .and_then(|a| {
            crate::wasm::words::write_authorization(&a, &mut self.codes, &mut self.authorization)
        })
        .map_or(0, |()| crate::wasm::words::AUTHORIZATION_WORDS as u32)
    }

    /// Where `authorizeWords` writes (a fixed place in the module's memory).
    #[wasm_bindgen(js_name = authorizationAt)]
    pub fn authorization_at(&self) -> u32 {
        self.authorization.as_ptr() as usize as u32
    }

    /// Code `id` of `authorizeWords`' answers.
    pub fn code(&self, id: u32) -> String {
        self.codes.text(id as usize).to_string()
    }

    /// `previewDrawdown` of `{"usage": [...], "detail"?, "asOf"?}` on the account; with
    /// `apply`, the account becomes the preview's `accountAfter`.
    #[wasm_bindgen(js_name = previewJson, unchecked_return_type = "Preview")]
    pub fn preview_json(&mut self, input_json: &str, apply: bool) -> Result<JsValue, JsValue> {
        let q: PreparedPreview = ops::parse_text(input_json).map_err(throw)?;
        let input = crate::engine::drawdown::PreviewInput {
            rate_card: self.card.clone(),
            rate_card_versions: self.versions.clone(),
            account: self.account.clone(),
            usage: q.usage,
            as_of: q.as_of,
            detail: q.detail,
        };
        let answer = crate::engine::drawdown::preview_answer(&input).map_err(throw)?;
        let out = Js.emit(&answer).map_err(throw)?;
        if apply {
            // The text route's own parser: a second deserializer for accounts would cost size.
            self.account = ops::parse(&answer.account_after).map_err(throw)?;
        }
        Ok(out)
    }

    /// The summary preview of plain calls and chats the glue packed (`usageWords` in
    /// js/api.js; layout in `words`), as the JSON route's answer less its items, which go as
    /// integers (`itemsAt`, `itemsLength`, `head`, `previewTexts`). `null`: take the JSON
    /// route, which also gives every error exactly. Reading a 100,000-item preview as JSON
    /// and building its items with serde-wasm-bindgen took 900 ms (BENCHMARKS.md).
    #[wasm_bindgen(js_name = previewWords)]
    pub fn preview_words(
        &mut self,
        usage: &[u32],
        text: &[u8],
        as_of: Option<String>,
        apply: bool,
    ) -> JsValue {
        // The text comes as bytes the glue encoded (TextEncoder, then one copy): handing
        // wasm-bindgen a 3 MB string walked it a character at a time in JS.
        std::str::from_utf8(text)
            .ok()
            .and_then(|text| self.summary_words(usage, text, as_of, apply))
            .unwrap_or(JsValue::NULL)
    }

    fn summary_words(
        &mut self,
        usage: &[u32],
        text: &str,
        as_of: Option<String>,
        apply: bool,
    ) -> Option<JsValue> {
        let mut packed = crate::wasm::words::usage_from_words(usage, text)?;
        let as_of = match as_of {
            Some(t) => Some(crate::engine::calendar::Instant::accept(&t).ok()?),
            None => None,
        };
        let input = crate::engine::drawdown::PreviewInput {
            rate_card: self.card.clone(),
            rate_card_versions: self.versions.clone(),
            account: self.account.clone(),
            usage: std::mem::take(&mut packed.usage),
            as_of,
            detail: crate::engine::drawdown::Detail::Summary,
        };
        let (heads, out, texts) = (&mut self.heads, &mut self.out, &mut self.texts);
        out.clear();
        texts.clear();
        let mut each = |item: &crate::engine::drawdown::Item| {
            crate::wasm::words::write_item(item, &packed, heads, out, texts)
        };
        let answer = crate::engine::drawdown::preview_answer_each(&input, Some(&mut each)).ok()?;
        let rest = Js.emit(&answer).ok()?;
        if apply {
            self.account = ops::parse(&answer.account_after).ok()?;
        }
        Some(rest)
    }

    /// Where the last `previewWords` wrote its items, as an offset into the module's memory.
    #[wasm_bindgen(js_name = itemsAt)]
    pub fn items_at(&self) -> u32 {
        self.out.as_ptr() as usize as u32
    }

    /// How many words the last `previewWords` wrote.
    #[wasm_bindgen(js_name = itemsLength)]
    pub fn items_length(&self) -> u32 {
        self.out.len() as u32
    }

    /// The last `previewWords`' texts (instants not written as they came, reasons),
    /// separated by U+001F.
    #[wasm_bindgen(js_name = previewTexts)]
    pub fn preview_texts(&self) -> String {
        self.texts.join("\u{1f}")
    }

    /// The text of line head `id` (`words::Heads::text`).
    pub fn head(&self, id: u32) -> String {
        self.heads.text(id as usize)
    }

    /// `startCall` on the account, which then holds the call. `input_json`: `{"call": ...}`.
    #[wasm_bindgen(js_name = startJson, unchecked_return_type = "QuotaGrant")]
    pub fn start_json(&mut self, input_json: &str) -> Result<JsValue, JsValue> {
        let q: PreparedStart = ops::parse_text(input_json).map_err(throw)?;
        let input = crate::engine::live::StartInput {
            rate_card: self.card.at(&self.versions, q.call.at).clone(),
            account: self.account.clone(),
            call: q.call,
        };
        let (grant, next) = crate::engine::live::start_call_books(&input, true).map_err(throw)?;
        self.granted(grant, next)
    }

    /// `extendCall` on the account. `input_json`: `{"callId", "at", "quotaSeconds"?}`.
    #[wasm_bindgen(js_name = extendJson, unchecked_return_type = "QuotaGrant")]
    pub fn extend_json(&mut self, input_json: &str) -> Result<JsValue, JsValue> {
        let q: PreparedExtend = ops::parse_text(input_json).map_err(throw)?;
        let input = crate::engine::live::ExtendInput {
            rate_card: self.card.at(&self.versions, q.at).clone(),
            account: self.account.clone(),
            call_id: q.call_id,
            at: q.at,
            quota_seconds: q.quota_seconds,
        };
        let (grant, next) = crate::engine::live::extend_call_books(&input, true).map_err(throw)?;
        self.granted(grant, next)
    }

    /// `endCall` on the account, which is then billed. `input_json`: `{"callId", "at", "call"}`.
    #[wasm_bindgen(js_name = endJson, unchecked_return_type = "CallEnd")]
    pub fn end_json(&mut self, input_json: &str) -> Result<JsValue, JsValue> {
        let q: PreparedEnd = ops::parse_text(input_json).map_err(throw)?;
        // Priced by the version in force when the call started, as the server does.
        let started =
            crate::engine::live::call_hold(&self.account, &q.call_id).map(|h| h.started_at);
        let input = crate::engine::live::EndInput {
            rate_card: self
                .card
                .at(&self.versions, started.unwrap_or(q.at))
                .clone(),
            account: self.account.clone(),
            call_id: q.call_id,
            at: q.at,
            call: q.call,
        };
        let mut books = crate::engine::live::end_call_books(&input, true).map_err(throw)?;
        books.ended.account = Some(sorted(&books.account)?);
        let out = Js.emit(&books.ended).map_err(throw)?;
        self.account = books.account;
        Ok(out)
    }

    /// A grant's answer as the one-shot operation gives it (with the account), and the
    /// account moved on.
    fn granted(
        &mut self,
        mut grant: crate::engine::live::QuotaGrant,
        next: crate::engine::model::Account,
    ) -> Result<JsValue, JsValue> {
        grant.account = Some(sorted(&next)?);
        let out = Js.emit(&grant).map_err(throw)?;
        self.account = next;
        Ok(out)
    }

    /// The account as it stands (the snapshot to save, or to open again).
    #[wasm_bindgen(unchecked_return_type = "Account")]
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        Js.emit(&sorted(&self.account)?).map_err(throw)
    }
}

/// The module's memory, through which the glue reads `Pricer::quote_words`' answers.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The engine's version (the crate's and the npm package's).
#[wasm_bindgen]
pub fn version() -> String {
    crate::version().to_string()
}
