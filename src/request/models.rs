//! The model catalog: a dated snapshot of the Codex CLI's model list bundled for offline use, the
//! live `GET {base}/models` document laid over it (never swapped in: a model the live list leaves
//! out is still sent as named), and the mapping from whatever name a request carries (`openai/`
//! prefix, `-<effort>` and `-fast` variants, retired names) to the model sent.
//! Only names known retired (the snapshot's `retired`/`successors` data, or an `upgrade` link on
//! an entry the live list no longer offers) are remapped, always with a notice.
//! Pure data: it never fetches and keeps no clock; JS owns the ETag and the 5 min cache.

use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::json;

/// The bundled snapshot, dated mid-2026: the fields this plugin reads from the Codex CLI's catalog
/// (openai/codex codex-rs/models-manager/models.json) in the live document's shape (compact, one
/// model per line), plus `successors`: our own links from retired or retiring names to the model
/// that replaced them (the `upgrade` chain seen live: gpt-5.3-codex → gpt-5.4 → gpt-5.5 → gpt-5.6-sol).
pub const SNAPSHOT: &str = include_str!("models_snapshot.json");

/// A reasoning effort. Levels we know are ordered (`none` < … < `ultra`); a level the backend
/// invents later passes through as `Other` instead of failing the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Effort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    XHigh,
    Max,
    Ultra,
    Other(String),
}

/// The known levels, lowest first: "nearest supported" is measured on this ladder.
const LADDER: [Effort; 8] = [
    Effort::None,
    Effort::Minimal,
    Effort::Low,
    Effort::Medium,
    Effort::High,
    Effort::XHigh,
    Effort::Max,
    Effort::Ultra,
];

impl Effort {
    pub fn parse(s: &str) -> Effort {
        LADDER
            .iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s))
            .cloned()
            .unwrap_or_else(|| Effort::Other(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Effort::None => "none",
            Effort::Minimal => "minimal",
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
            Effort::XHigh => "xhigh",
            Effort::Max => "max",
            Effort::Ultra => "ultra",
            Effort::Other(s) => s,
        }
    }

    fn rank(&self) -> Option<usize> {
        LADDER.iter().position(|e| e == self)
    }
}

/// A list of strings as a JSON array (`efforts`, `serviceTiers`, `usable()`, …).
pub fn write_strs<T: AsRef<str>>(out: &mut String, items: &[T]) {
    json::arr(out, items, |out, s| json::write_str(out, s.as_ref()));
}

impl AsRef<str> for Effort {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// One model as this plugin uses it (JS sees it through `Catalog.models()`, as
/// [`ModelInfo::write`] writes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub slug: String,
    pub display_name: String,
    pub context_window: Option<u64>,
    /// Supported efforts in catalog order; empty means the model takes no `reasoning` block.
    pub efforts: Vec<Effort>,
    pub default_effort: Option<Effort>,
    pub supports_summaries: bool,
    pub supports_verbosity: bool,
    pub default_verbosity: Option<String>,
    pub supports_parallel_tool_calls: bool,
    /// `service_tier` ids the backend accepts for this model (`priority` is what "fast" means).
    pub service_tiers: Vec<String>,
    pub priority: i64,
    /// `visibility: "list"`: shown in model pickers (hidden models still resolve by exact slug).
    pub visible: bool,
    /// The catalog's `upgrade` target, followed when this model is no longer live.
    pub upgrade: Option<String>,
    /// `minimal_client_version` as `MAJOR.MINOR.PATCH`: the backend refuses older clients.
    pub min_client_version: Option<String>,
    /// `default_reasoning_summary`: what `reasoning.summary` is when the request names none
    /// (`none`: no summary is asked for).
    pub default_summary: Option<String>,
    /// `use_responses_lite`: requests get the responses-lite shape (`request::transform::lite`).
    pub use_responses_lite: bool,
    /// `available_in_plans` (empty: not stated).
    pub available_in_plans: Vec<String>,
    /// The last live list offered this model (false for entries only the snapshot knows).
    pub listed: bool,
}

impl ModelInfo {
    /// `{slug, displayName, contextWindow, efforts, defaultEffort, supportsSummaries,
    /// supportsVerbosity, defaultVerbosity, supportsParallelToolCalls, serviceTiers, priority,
    /// visible, upgrade, minClientVersion, defaultSummary, useResponsesLite, availableInPlans,
    /// listed}`: every field, in this order, absent values `null`. OpenCode's `provider.models`
    /// is built from it (js/request/models.js).
    pub fn write(&self, out: &mut String) {
        let mut o = json::Obj::start(out);
        o.str("slug", &self.slug)
            .str("displayName", &self.display_name);
        match self.context_window {
            Some(n) => o.u64("contextWindow", n),
            None => o.null("contextWindow"),
        };
        o.with("efforts", |out| write_strs(out, &self.efforts))
            .opt_str(
                "defaultEffort",
                self.default_effort.as_ref().map(Effort::as_str),
            )
            .bool("supportsSummaries", self.supports_summaries)
            .bool("supportsVerbosity", self.supports_verbosity)
            .opt_str("defaultVerbosity", self.default_verbosity.as_deref())
            .bool(
                "supportsParallelToolCalls",
                self.supports_parallel_tool_calls,
            )
            .with("serviceTiers", |out| write_strs(out, &self.service_tiers))
            .i64("priority", self.priority)
            .bool("visible", self.visible)
            .opt_str("upgrade", self.upgrade.as_deref())
            .opt_str("minClientVersion", self.min_client_version.as_deref())
            .opt_str("defaultSummary", self.default_summary.as_deref())
            .bool("useResponsesLite", self.use_responses_lite)
            .with("availableInPlans", |out| {
                write_strs(out, &self.available_in_plans)
            })
            .bool("listed", self.listed);
        o.end();
    }

    pub fn supports_fast(&self) -> bool {
        self.service_tiers.iter().any(|t| t == "priority")
    }

    /// `requested` if supported; else the nearest supported level on the ladder (a tie goes to
    /// the higher level); else (an unknown level) the default. `None` if the model has no efforts.
    /// `ultra` is never the answer: it is a client-side name (maximum reasoning plus automatic
    /// delegation) the backend refuses, so it counts as not offered and clamps to the highest level.
    pub fn clamp_effort(&self, requested: &Effort) -> Option<Effort> {
        if *requested != Effort::Ultra && self.efforts.contains(requested) {
            return Some(requested.clone());
        }
        let sendable = || self.efforts.iter().filter(|e| **e != Effort::Ultra);
        // The default counts only if the model offers it (a live entry may list other levels).
        let fallback = || {
            self.default_effort
                .clone()
                .filter(|d| *d != Effort::Ultra && self.efforts.contains(d))
                .or_else(|| sendable().next().cloned())
        };
        let Some(want) = requested.rank() else {
            return fallback();
        };
        sendable()
            .filter_map(|e| {
                e.rank()
                    .map(|r| (r.abs_diff(want), std::cmp::Reverse(r), e))
            })
            .min_by_key(|(distance, higher_first, _)| (*distance, *higher_first))
            .map(|(_, _, e)| e.clone())
            .or_else(fallback)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
    /// The document is not JSON.
    NotJson,
    /// The document has no `models` array.
    NoModels,
    /// `models` holds no entry with a `slug`.
    Empty,
}

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CatalogError::NotJson => "model list is not valid json; keeping the previous catalog",
            CatalogError::NoModels => {
                "model list has no `models` array; keeping the previous catalog"
            }
            CatalogError::Empty => "model list names no models; keeping the previous catalog",
        })
    }
}

impl CoreError for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            CatalogError::NotJson => "catalog-not-json",
            CatalogError::NoModels => "catalog-no-models",
            CatalogError::Empty => "catalog-empty",
        }
    }
}

/// A requested name mapped onto the catalog (JS: [`Resolved::to_json`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The slug to send: a catalog model, or the name as given when the catalog does not know it.
    pub model: String,
    /// The effort the name carried (`gpt-5.4-high`), not yet clamped.
    pub effort: Option<Effort>,
    /// The name carried OpenCode's `-fast` suffix: ask for `service_tier: "priority"` if supported.
    pub fast: bool,
    /// One line for the user when the name was remapped (retired or unknown); JS shows it once.
    pub notice: Option<String>,
}

impl Resolved {
    /// `{model, effort, fast, notice}`, absent values `null`.
    pub fn to_json(&self) -> String {
        json::object(|o| {
            o.str("model", &self.model)
                .opt_str("effort", self.effort.as_ref().map(Effort::as_str))
                .bool("fast", self.fast)
                .opt_str("notice", self.notice.as_deref());
        })
    }
}

/// The models this login can use (`live`), plus what the snapshot knows about the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The catalog's models by priority: the last live list laid over the bundled entries.
    live: Vec<ModelInfo>,
    /// The bundled entries: fallback values for fields a live document leaves out.
    bundled: Vec<ModelInfo>,
    /// (name, successor): the snapshot's `successors` plus its entries' `upgrade` links, followed
    /// for names that are not in `live`. (A live entry's own `upgrade` is not followed: a model the
    /// backend still lists still works.)
    successors: Vec<(String, String)>,
    /// (name, date): models retired for ChatGPT logins, from the snapshot's `retired`.
    retired: Vec<(String, String)>,
    /// A live list has been merged (`listed` then says what it offered).
    merged: bool,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::bundled()
    }
}

impl Catalog {
    /// The catalog from the bundled snapshot (a test guarantees it parses and is not empty).
    pub fn bundled() -> Catalog {
        let doc = serde_json::from_str::<Value>(SNAPSHOT).unwrap_or(Value::Null);
        // Parsed twice rather than cloned: the clone would cost more wasm than the parse costs time.
        let bundled = parse_models(&doc, &[]).unwrap_or_default();
        let live = parse_models(&doc, &[]).unwrap_or_default();
        let mut successors: Vec<(String, String)> = doc
            .get("successors")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        Some((k.to_ascii_lowercase(), v.as_str()?.to_ascii_lowercase()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for m in &bundled {
            if let Some(target) = m.upgrade.as_ref().filter(|t| **t != m.slug) {
                successors.push((m.slug.clone(), target.clone()));
            }
        }
        let retired = doc
            .get("retired")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Catalog {
            live,
            bundled,
            successors,
            retired,
            merged: false,
        }
    }

    /// Lays a `GET /models` document over the bundled snapshot: its entries replace the bundled
    /// ones of the same slug (fields it leaves out taken from them) and new ones join; bundled
    /// entries it leaves out stay (sent as named, `listed: false`) unless they carry an `upgrade`
    /// link, which then marks them retired. (The Codex CLI instead replaces its bundled list for
    /// ChatGPT logins; see docs/protocol-notes.md.) Entries are read leniently (unknown fields
    /// ignored); a document that is not JSON or names no model is an error and leaves the catalog
    /// unchanged.
    pub fn merge_remote(&mut self, json: &str) -> Result<(), CatalogError> {
        let doc: Value = serde_json::from_str(json).map_err(|_| CatalogError::NotJson)?;
        let mut models = parse_models(&doc, &self.bundled)?;
        for m in &mut models {
            m.listed = true;
        }
        for b in &self.bundled {
            if b.upgrade.is_none() && !models.iter().any(|m| m.slug == b.slug) {
                let at = models.partition_point(|m| m.priority <= b.priority);
                models.insert(
                    at,
                    ModelInfo {
                        listed: false,
                        ..b.clone()
                    },
                );
            }
        }
        self.live = models;
        self.merged = true;
        Ok(())
    }

    /// Visible models, by priority.
    pub fn models(&self) -> Vec<&ModelInfo> {
        self.live.iter().filter(|m| m.visible).collect()
    }

    /// [`Catalog::models`] as a JSON array of [`ModelInfo::write`] objects (`Catalog.models()`).
    pub fn models_json(&self) -> String {
        let mut out = String::new();
        json::arr(&mut out, &self.models(), |out, m| m.write(out));
        out
    }

    /// The visible models this login was offered by the last live list (before any: every visible
    /// model), for messages that name what the user can pick.
    pub fn usable(&self) -> Vec<&str> {
        self.live
            .iter()
            .filter(|m| m.visible && (m.listed || !self.merged))
            .map(|m| m.slug.as_str())
            .collect()
    }

    /// The highest `minimal_client_version` among the catalog's models.
    pub fn highest_min_client_version(&self) -> Option<crate::request::client::Version> {
        self.live
            .iter()
            .filter_map(|m| m.min_client_version.as_deref())
            .filter_map(crate::request::client::Version::parse)
            .max()
    }

    /// A live model by exact slug.
    pub fn get(&self, slug: &str) -> Option<&ModelInfo> {
        self.live.iter().find(|m| m.slug == slug)
    }

    /// The model used when a request names none: the first visible live model.
    fn top(&self) -> Option<&ModelInfo> {
        self.live
            .iter()
            .find(|m| m.visible)
            .or_else(|| self.live.first())
    }

    /// Maps `name` to the model to send: exact slug; `openai/` (any `provider/`) prefix; OpenCode's
    /// `-fast` suffix; a `-<effort>` suffix; retired names via `upgrade`/successor links (with a
    /// notice). A name the catalog does not know is sent as named (without the prefix): the
    /// backend may know it, and says so if not. An empty name gives `default_model` (resolved the
    /// same way), else the top model.
    pub fn resolve(&self, name: &str, default_model: Option<&str>) -> Resolved {
        let wanted = match name.trim() {
            "" => default_model.map(str::trim).unwrap_or_default(),
            named => named,
        };
        let as_named = wanted
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if as_named.is_empty() {
            return Resolved {
                model: self.top().map(|m| m.slug.clone()).unwrap_or_default(),
                effort: None,
                fast: false,
                notice: None,
            };
        }
        self.lookup(wanted).unwrap_or(Resolved {
            model: as_named,
            effort: None,
            fast: false,
            notice: None,
        })
    }

    /// `resolve` without the default: `None` for an empty or unknown name.
    fn lookup(&self, name: &str) -> Option<Resolved> {
        let lowered = name.trim().to_ascii_lowercase();
        let mut base = lowered.rsplit('/').next().unwrap_or_default();
        let mut effort = None;
        let mut fast = false;
        // At most one `-fast` and one `-<effort>` suffix, in either order.
        for _ in 0..3 {
            if base.is_empty() {
                return None;
            }
            if self.get(base).is_some() {
                return Some(Resolved {
                    model: base.to_owned(),
                    effort,
                    fast,
                    notice: None,
                });
            }
            if let Some(target) = self.successor_of(base) {
                let notice = Some(match self.retired.iter().find(|(n, _)| n == base) {
                    Some((_, date)) => format!(
                        "model `{}` was retired for ChatGPT logins on {date}; using {target}",
                        name.trim()
                    ),
                    None => format!(
                        "model `{}` is no longer available; using {target}",
                        name.trim()
                    ),
                });
                return Some(Resolved {
                    model: target,
                    effort,
                    fast,
                    notice,
                });
            }
            if let Some(stem) = base.strip_suffix("-fast").filter(|_| !fast) {
                fast = true;
                base = stem;
            } else if let Some((stem, e)) = split_effort(base).filter(|_| effort.is_none()) {
                effort = Some(e);
                base = stem;
            } else {
                return None;
            }
        }
        None
    }

    /// For a name that is known but not live: the first live model along its successor links,
    /// else the top model. `None` for names the catalog has never heard of.
    fn successor_of(&self, name: &str) -> Option<String> {
        let next = |name: &str| {
            self.successors
                .iter()
                .find(|(from, _)| from == name)
                .map(|(_, to)| to)
        };
        let mut current = next(name)?;
        for _ in 0..32 {
            if self.get(current).is_some() {
                return Some(current.clone());
            }
            match next(current) {
                Some(to) => current = to,
                None => break,
            }
        }
        self.top().map(|m| m.slug.clone())
    }
}

/// `gpt-5.4-high` → (`gpt-5.4`, High); only the ladder's names count as effort suffixes.
fn split_effort(name: &str) -> Option<(&str, Effort)> {
    let (stem, suffix) = name.rsplit_once('-')?;
    let effort = Effort::parse(suffix);
    effort.rank().map(|_| (stem, effort))
}

/// The `models` array of a snapshot or live document, sorted by priority.
fn parse_models(doc: &Value, bundled: &[ModelInfo]) -> Result<Vec<ModelInfo>, CatalogError> {
    let entries = doc
        .get("models")
        .and_then(Value::as_array)
        .ok_or(CatalogError::NoModels)?;
    let mut models: Vec<ModelInfo> = Vec::new();
    for entry in entries.iter().filter_map(Value::as_object) {
        let Some(slug) = entry
            .get("slug")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let slug = slug.to_ascii_lowercase();
        if models.iter().any(|m| m.slug == slug) {
            continue;
        }
        let base = bundled.iter().find(|m| m.slug == slug);
        let model = parse_model(slug, entry, base);
        // Insert in priority order (stable), instead of pulling a sort routine into the wasm.
        let at = models.partition_point(|m| m.priority <= model.priority);
        models.insert(at, model);
    }
    if models.is_empty() {
        return Err(CatalogError::Empty);
    }
    Ok(models)
}

/// One entry, every field read leniently: a value of an unexpected type counts as absent.
fn parse_model(slug: String, e: &Map<String, Value>, base: Option<&ModelInfo>) -> ModelInfo {
    let text = |key: &str| e.get(key).and_then(Value::as_str).map(str::to_owned);
    let flag = |key: &str| e.get(key).and_then(Value::as_bool);
    // Entries are `{"effort": "low", ...}` in the live document; plain strings are accepted too.
    let efforts: Option<Vec<Effort>> = e
        .get("supported_reasoning_levels")
        .and_then(Value::as_array)
        .map(|levels| {
            levels
                .iter()
                .filter_map(|l| {
                    l.as_str()
                        .or_else(|| l.get("effort").and_then(Value::as_str))
                })
                .map(Effort::parse)
                .collect()
        });
    let tiers: Option<Vec<String>> =
        e.get("service_tiers")
            .and_then(Value::as_array)
            .map(|tiers| {
                let mut ids: Vec<String> = tiers
                    .iter()
                    .filter_map(|t| t.as_str().or_else(|| t.get("id").and_then(Value::as_str)))
                    .map(str::to_owned)
                    .collect();
                // `additional_speed_tiers: ["fast"]` is the older spelling of the priority tier.
                let fast = e
                    .get("additional_speed_tiers")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|t| t == "fast"));
                if fast && !ids.iter().any(|t| t == "priority") {
                    ids.push("priority".into());
                }
                ids
            });
    let upgrade = match e.get("upgrade") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => ["model", "id", "slug"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_owned),
        _ => None,
    };
    ModelInfo {
        display_name: text("display_name")
            .or_else(|| base.map(|b| b.display_name.clone()))
            .unwrap_or_else(|| slug.clone()),
        context_window: e
            .get("context_window")
            .and_then(Value::as_u64)
            .or_else(|| base.and_then(|b| b.context_window)),
        efforts: efforts
            .or_else(|| base.map(|b| b.efforts.clone()))
            .unwrap_or_default(),
        default_effort: text("default_reasoning_level")
            .map(|s| Effort::parse(&s))
            .or_else(|| base.and_then(|b| b.default_effort.clone())),
        supports_summaries: flag("supports_reasoning_summaries")
            .or_else(|| base.map(|b| b.supports_summaries))
            .unwrap_or(false),
        supports_verbosity: flag("support_verbosity")
            .or_else(|| base.map(|b| b.supports_verbosity))
            .unwrap_or(false),
        default_verbosity: text("default_verbosity")
            .or_else(|| base.and_then(|b| b.default_verbosity.clone())),
        supports_parallel_tool_calls: flag("supports_parallel_tool_calls")
            .or_else(|| base.map(|b| b.supports_parallel_tool_calls))
            .unwrap_or(false),
        service_tiers: tiers
            .or_else(|| base.map(|b| b.service_tiers.clone()))
            .unwrap_or_default(),
        priority: e
            .get("priority")
            .and_then(Value::as_i64)
            .or_else(|| base.map(|b| b.priority))
            .unwrap_or(i64::MAX),
        visible: match e.get("visibility").and_then(Value::as_str) {
            Some(v) => v == "list",
            None => base.is_none_or(|b| b.visible),
        },
        upgrade: upgrade.map(|u| u.to_ascii_lowercase()),
        min_client_version: e
            .get("minimal_client_version")
            .and_then(crate::request::client::Version::from_json)
            .map(|v| v.whole())
            .or_else(|| base.and_then(|b| b.min_client_version.clone())),
        default_summary: text("default_reasoning_summary")
            .or_else(|| base.and_then(|b| b.default_summary.clone())),
        use_responses_lite: flag("use_responses_lite")
            .or_else(|| base.map(|b| b.use_responses_lite))
            .unwrap_or(false),
        available_in_plans: e
            .get("available_in_plans")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .or_else(|| base.map(|b| b.available_in_plans.clone()))
            .unwrap_or_default(),
        listed: false,
        slug,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slugs(c: &Catalog) -> Vec<&str> {
        c.models().iter().map(|m| m.slug.as_str()).collect()
    }

    fn resolved(model: &str, effort: Option<Effort>, fast: bool, notice: Option<&str>) -> Resolved {
        Resolved {
            model: model.into(),
            effort,
            fast,
            notice: notice.map(str::to_owned),
        }
    }

    #[test]
    fn the_snapshot_parses_into_the_late_2026_list() {
        let c = Catalog::bundled();
        assert_eq!(
            slugs(&c),
            [
                "gpt-5.6-sol",
                "gpt-6-astra",
                "gpt-5.6-terra",
                "gpt-5.6-luna",
                "gpt-5.5",
                "gpt-5.4",
                "gpt-5.4-mini",
            ]
        );
        assert_eq!(
            c.get("gpt-5.6-sol").unwrap(),
            &ModelInfo {
                slug: "gpt-5.6-sol".into(),
                display_name: "GPT-5.6-Sol".into(),
                context_window: Some(372_000),
                efforts: vec![
                    Effort::Low,
                    Effort::Medium,
                    Effort::High,
                    Effort::XHigh,
                    Effort::Max,
                    Effort::Ultra
                ],
                default_effort: Some(Effort::Low),
                supports_summaries: true,
                supports_verbosity: true,
                default_verbosity: Some("low".into()),
                supports_parallel_tool_calls: true,
                service_tiers: vec!["priority".into()],
                priority: 1,
                visible: true,
                upgrade: None,
                min_client_version: Some("0.144.0".into()),
                default_summary: Some("none".into()),
                use_responses_lite: true,
                available_in_plans: c.get("gpt-5.5").unwrap().available_in_plans.clone(),
                listed: false,
            }
        );
        assert_eq!(c.get("gpt-5.6-sol").unwrap().available_in_plans.len(), 21);
        assert!(c
            .get("gpt-5.6-sol")
            .unwrap()
            .available_in_plans
            .contains(&"plus".to_string()));
        let astra = c.get("gpt-6-astra").unwrap();
        assert_eq!(
            (
                astra.min_client_version.as_deref(),
                astra.context_window,
                astra.use_responses_lite
            ),
            (Some("0.153.0"), Some(272_000), true)
        );
        assert_eq!(c.get("gpt-5.5").unwrap().use_responses_lite, false);
        assert!(c.get("codex-auto-review").is_some_and(|m| !m.visible));
        assert_eq!(c.get("gpt-5.2"), None, "retired 2026-06-02");
    }

    #[test]
    fn effort_clamps_to_the_nearest_supported_level() {
        let c = Catalog::bundled();
        let m54 = c.get("gpt-5.4").unwrap();
        assert_eq!(m54.clamp_effort(&Effort::None), Some(Effort::Low));
        assert_eq!(m54.clamp_effort(&Effort::Minimal), Some(Effort::Low));
        assert_eq!(m54.clamp_effort(&Effort::High), Some(Effort::High));
        assert_eq!(m54.clamp_effort(&Effort::Ultra), Some(Effort::XHigh));
        // `ultra` is never sent, even where the catalog lists it: the highest other level.
        let sol = c.get("gpt-5.6-sol").unwrap();
        assert!(sol.efforts.contains(&Effort::Ultra));
        assert_eq!(sol.clamp_effort(&Effort::Ultra), Some(Effort::Max));
        assert_eq!(sol.clamp_effort(&Effort::None), Some(Effort::Low));
        assert_eq!(sol.clamp_effort(&Effort::Minimal), Some(Effort::Low));
        let only_ultra = ModelInfo {
            efforts: vec![Effort::Ultra],
            default_effort: Some(Effort::Ultra),
            ..sol.clone()
        };
        assert_eq!(only_ultra.clamp_effort(&Effort::Ultra), None);
        assert_eq!(only_ultra.clamp_effort(&Effort::Other("x".into())), None);
        assert_eq!(
            m54.clamp_effort(&Effort::Other("turbo".into())),
            Some(Effort::Medium)
        );
        let gap = ModelInfo {
            efforts: vec![Effort::Low, Effort::High],
            default_effort: None,
            ..m54.clone()
        };
        assert_eq!(
            gap.clamp_effort(&Effort::Medium),
            Some(Effort::High),
            "a tie goes up"
        );
        let none = ModelInfo {
            efforts: vec![],
            default_effort: None,
            ..m54.clone()
        };
        assert_eq!(none.clamp_effort(&Effort::High), None);
    }

    #[test]
    fn the_default_effort_counts_only_if_the_model_offers_it() {
        // Found by fuzz/fuzz_targets/models.rs: a live entry with `supported_reasoning_levels: []`
        // kept the bundled default (medium), and the transform sent an effort the model has not.
        let mut c = Catalog::bundled();
        c.merge_remote(r#"{"models":[{"slug":"gpt-5.4","supported_reasoning_levels":[]}]}"#)
            .unwrap();
        let m = c.get("gpt-5.4").unwrap();
        assert_eq!(
            (m.efforts.len(), m.default_effort.clone()),
            (0, Some(Effort::Medium))
        );
        assert_eq!(m.clamp_effort(&Effort::Medium), None);
        assert_eq!(m.clamp_effort(&Effort::Other("turbo".into())), None);
        let lows = ModelInfo {
            efforts: vec![Effort::Low],
            default_effort: Some(Effort::XHigh),
            ..m.clone()
        };
        assert_eq!(
            lows.clamp_effort(&Effort::Other("turbo".into())),
            Some(Effort::Low)
        );
    }

    #[test]
    fn resolves_slugs_prefixes_and_variants() {
        let c = Catalog::bundled();
        assert_eq!(
            c.resolve("gpt-5.5", None),
            resolved("gpt-5.5", None, false, None)
        );
        assert_eq!(
            c.resolve("openai/GPT-5.4", None),
            resolved("gpt-5.4", None, false, None)
        );
        assert_eq!(
            c.resolve("gpt-5.4-high", None),
            resolved("gpt-5.4", Some(Effort::High), false, None)
        );
        assert_eq!(
            c.resolve("openai/gpt-5.5-fast", None),
            resolved("gpt-5.5", None, true, None)
        );
        assert_eq!(
            c.resolve("gpt-5.6-sol-xhigh-fast", None),
            resolved("gpt-5.6-sol", Some(Effort::XHigh), true, None)
        );
        assert_eq!(
            c.resolve("gpt-5.4-mini-fast-low", None),
            resolved("gpt-5.4-mini", Some(Effort::Low), true, None)
        );
        assert_eq!(
            c.resolve("codex-auto-review", None),
            resolved("codex-auto-review", None, false, None)
        );
    }

    #[test]
    fn retired_names_follow_successor_links_with_a_notice() {
        let c = Catalog::bundled();
        let notice =
            |from: &str, to: &str| format!("model `{from}` is no longer available; using {to}");
        for (from, to) in [
            ("gpt-5-codex", "gpt-5.4"),
            ("gpt-5.1-codex-max", "gpt-5.4"),
            ("codex-mini-latest", "gpt-5.4-mini"),
            ("o3", "gpt-5.4"),
            ("gpt-5.3-codex-spark", "gpt-5.6-luna"),
        ] {
            assert_eq!(
                c.resolve(from, None),
                resolved(to, None, false, Some(&notice(from, to))),
                "{from}"
            );
        }
        for from in ["gpt-5.3-codex", "gpt-5.2"] {
            assert_eq!(
                c.resolve(from, None),
                resolved(
                    "gpt-5.4",
                    None,
                    false,
                    Some(&format!("model `{from}` was retired for ChatGPT logins on 2026-06-02; using gpt-5.4"))
                ),
            );
        }
        assert_eq!(
            c.resolve("openai/gpt-5.1-codex-high", None),
            resolved(
                "gpt-5.4",
                Some(Effort::High),
                false,
                Some(&notice("openai/gpt-5.1-codex-high", "gpt-5.4"))
            )
        );
    }

    #[test]
    fn unknown_names_are_sent_as_named_and_empty_ones_use_the_default() {
        let c = Catalog::bundled();
        assert_eq!(
            c.resolve("", None),
            resolved("gpt-5.6-sol", None, false, None)
        );
        assert_eq!(
            c.resolve(" openai/ ", None),
            resolved("gpt-5.6-sol", None, false, None)
        );
        assert_eq!(
            c.resolve("", Some("gpt-5.5-high")),
            resolved("gpt-5.5", Some(Effort::High), false, None)
        );
        // Never a silent downgrade: a name the catalog does not know goes out as named.
        assert_eq!(
            c.resolve("claude-9", Some("openai/gpt-5.4")),
            resolved("claude-9", None, false, None)
        );
        assert_eq!(
            c.resolve("openai/GPT-7-Nova-high", None),
            resolved("gpt-7-nova-high", None, false, None)
        );
        assert_eq!(
            c.resolve("", Some("gpt-7-nova")),
            resolved("gpt-7-nova", None, false, None)
        );
        assert_eq!(
            c.resolve("", Some("gpt-5.3-codex")),
            resolved(
                "gpt-5.4",
                None,
                false,
                Some("model `gpt-5.3-codex` was retired for ChatGPT logins on 2026-06-02; using gpt-5.4")
            )
        );
        assert_eq!(
            c.resolve("gpt-5.4-", Some("nonsense")),
            resolved("gpt-5.4-", None, false, None)
        );
    }

    #[test]
    fn a_live_document_is_laid_over_the_snapshot() {
        let mut c = Catalog::bundled();
        assert_eq!(
            c.usable().len(),
            7,
            "before a live list: every visible model"
        );
        let live = r#"{"models":[
            {"slug":"gpt-6-astra","display_name":"GPT-6 Astra","priority":1,"visibility":"list","context_window":500000,
             "default_reasoning_level":"high","supported_reasoning_levels":[{"effort":"medium"},{"effort":"high"},{"effort":"hyper"}],
             "supports_reasoning_summaries":true,"support_verbosity":false,"service_tiers":["priority","flex"],"brand_new_field":{"x":1},
             "minimal_client_version":[0,153,0],"default_reasoning_summary":"auto"},
            {"slug":"gpt-6.1-sol","priority":0,"visibility":"list","minimal_client_version":"0.160.0"},
            {"slug":"gpt-5.6-sol","priority":2,"visibility":"list","upgrade":{"model":"gpt-6-astra","migration_markdown":"…"}},
            {"slug":"gpt-5.5","priority":3,"visibility":"hide","context_window":"not a number"},
            {"display_name":"no slug"}, "garbage", 42
        ]}"#;
        c.merge_remote(live).unwrap();
        // The live entries by their priority, then the bundled ones the list left out, by theirs.
        assert_eq!(
            slugs(&c),
            [
                "gpt-6.1-sol",
                "gpt-6-astra",
                "gpt-5.6-sol",
                "gpt-5.6-terra",
                "gpt-5.6-luna",
                "gpt-5.4",
                "gpt-5.4-mini"
            ]
        );
        assert_eq!(c.usable(), ["gpt-6.1-sol", "gpt-6-astra", "gpt-5.6-sol"]);
        let astra = c.get("gpt-6-astra").unwrap();
        assert_eq!(
            astra.efforts,
            [Effort::Medium, Effort::High, Effort::Other("hyper".into())]
        );
        assert_eq!(astra.service_tiers, ["priority", "flex"]);
        assert_eq!(
            (
                astra.supports_verbosity,
                astra.listed,
                astra.context_window,
                astra.default_summary.as_deref()
            ),
            (false, true, Some(500_000), Some("auto"))
        );
        // A new slug with almost nothing: defaults, never a panic.
        let new = c.get("gpt-6.1-sol").unwrap();
        assert_eq!(
            (
                new.display_name.as_str(),
                new.efforts.len(),
                new.min_client_version.as_deref()
            ),
            ("gpt-6.1-sol", 0, Some("0.160.0"))
        );
        assert_eq!(
            c.highest_min_client_version().map(|v| v.whole()),
            Some("0.160.0".into())
        );
        // Fields the live entry leaves out come from the bundled entry.
        let sol = c.get("gpt-5.6-sol").unwrap();
        assert_eq!(
            (
                sol.display_name.as_str(),
                sol.context_window,
                sol.upgrade.as_deref()
            ),
            ("GPT-5.6-Sol", Some(372_000), Some("gpt-6-astra"))
        );
        // A listed model is used as named, its own `upgrade` link notwithstanding.
        assert_eq!(
            c.resolve("gpt-5.6-sol", None),
            resolved("gpt-5.6-sol", None, false, None)
        );
        assert_eq!(c.get("gpt-5.5").unwrap().context_window, Some(272_000));
        // gpt-5.4 was left out of the list: still sent as named, not remapped, not listed.
        assert_eq!(
            c.resolve("gpt-5.4-high", None),
            resolved("gpt-5.4", Some(Effort::High), false, None)
        );
        assert!(!c.get("gpt-5.4").unwrap().listed);
        // Retired names still follow the retirement data: gpt-5.2 → gpt-5.4.
        assert_eq!(c.resolve("gpt-5.2-high", None).model, "gpt-5.4");
    }

    #[test]
    fn a_bundled_entry_with_an_upgrade_link_the_live_list_drops_is_retired() {
        let mut c = Catalog::bundled();
        for m in c.bundled.iter_mut().filter(|m| m.slug == "gpt-5.4-mini") {
            m.upgrade = Some("gpt-5.6-luna".into());
        }
        c.merge_remote(r#"{"models":[{"slug":"gpt-5.6-luna","priority":1,"visibility":"list"}]}"#)
            .unwrap();
        assert_eq!(c.get("gpt-5.4-mini"), None);
        c.successors
            .push(("gpt-5.4-mini".into(), "gpt-5.6-luna".into()));
        assert_eq!(
            c.resolve("gpt-5.4-mini", None),
            resolved(
                "gpt-5.6-luna",
                None,
                false,
                Some("model `gpt-5.4-mini` is no longer available; using gpt-5.6-luna")
            )
        );
    }

    #[test]
    fn the_default_client_version_serves_every_bundled_model() {
        let ours =
            crate::request::client::Version::parse(crate::request::client::CLIENT_VERSION).unwrap();
        let highest = Catalog::bundled().highest_min_client_version().unwrap();
        assert!(
            ours.at_least(&highest),
            "{} < {}",
            ours.whole(),
            highest.whole()
        );
        assert_eq!(highest.whole(), "0.153.0");
    }

    #[test]
    fn bad_documents_leave_the_catalog_unchanged() {
        let mut c = Catalog::bundled();
        let before = c.clone();
        for (doc, err) in [
            ("not json", CatalogError::NotJson),
            ("{\"data\":[]}", CatalogError::NoModels),
            ("{\"models\":{}}", CatalogError::NoModels),
            ("{\"models\":[]}", CatalogError::Empty),
            (
                "{\"models\":[{\"slug\":\"  \"},{\"slug\":7}]}",
                CatalogError::Empty,
            ),
        ] {
            assert_eq!(c.merge_remote(doc), Err(err.clone()), "{doc}");
            assert_eq!(c, before);
        }
        assert_eq!(CatalogError::Empty.code(), "catalog-empty");
    }

    #[test]
    fn upgrade_cycles_end_at_the_top_model() {
        let mut c = Catalog::bundled();
        c.merge_remote(r#"{"models":[{"slug":"a","priority":1,"visibility":"list"}]}"#)
            .unwrap();
        c.successors.push(("x".into(), "y".into()));
        c.successors.push(("y".into(), "x".into()));
        assert_eq!(c.resolve("x", None).model, "a");
    }

    #[test]
    fn models_are_written_with_the_field_names_and_order_js_reads() {
        let c = Catalog::bundled();
        let mini = c.get("gpt-5.4-mini").unwrap();
        let plans = r#"["business","edu","edu_plus","edu_pro","education","enterprise","enterprise_cbp_automation","enterprise_cbp_usage_based","finserv","free","free_workspace","go","hc","k12","plus","pro","prolite","quorum","sci","self_serve_business_usage_based","team"]"#;
        let mut out = String::new();
        mini.write(&mut out);
        assert_eq!(
            out,
            format!(
                r#"{{"slug":"gpt-5.4-mini","displayName":"GPT-5.4-Mini","contextWindow":272000,"efforts":["low","medium","high","xhigh"],"defaultEffort":"medium","supportsSummaries":true,"supportsVerbosity":true,"defaultVerbosity":"medium","supportsParallelToolCalls":true,"serviceTiers":[],"priority":23,"visible":true,"upgrade":null,"minClientVersion":"0.98.0","defaultSummary":"none","useResponsesLite":false,"availableInPlans":{plans},"listed":false}}"#
            )
        );
        let odd = ModelInfo {
            context_window: None,
            efforts: vec![Effort::Other("hyper\"".into())],
            default_effort: None,
            default_verbosity: None,
            priority: i64::MIN,
            upgrade: Some("gpt-6".into()),
            min_client_version: None,
            default_summary: None,
            available_in_plans: vec![],
            listed: true,
            ..mini.clone()
        };
        out.clear();
        odd.write(&mut out);
        assert_eq!(
            out,
            r#"{"slug":"gpt-5.4-mini","displayName":"GPT-5.4-Mini","contextWindow":null,"efforts":["hyper\""],"defaultEffort":null,"supportsSummaries":true,"supportsVerbosity":true,"defaultVerbosity":null,"supportsParallelToolCalls":true,"serviceTiers":[],"priority":-9223372036854775808,"visible":true,"upgrade":"gpt-6","minClientVersion":null,"defaultSummary":null,"useResponsesLite":false,"availableInPlans":[],"listed":true}"#
        );
        assert_eq!(
            c.models_json(),
            format!(
                "[{}]",
                c.models()
                    .iter()
                    .map(|m| {
                        let mut o = String::new();
                        m.write(&mut o);
                        o
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            )
        );
        assert_eq!(
            c.resolve("gpt-5.3-codex-high-fast", None).to_json(),
            r#"{"model":"gpt-5.4","effort":"high","fast":true,"notice":"model `gpt-5.3-codex-high-fast` was retired for ChatGPT logins on 2026-06-02; using gpt-5.4"}"#
        );
        assert_eq!(
            c.resolve("x", None).to_json(),
            r#"{"model":"x","effort":null,"fast":false,"notice":null}"#
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod written {
        use super::super::*;
        use proptest::prelude::*;
        use serde_json::json;

        fn effort() -> impl Strategy<Value = Effort> {
            prop_oneof![
                (0..LADDER.len()).prop_map(|i| LADDER[i].clone()),
                any::<String>().prop_map(Effort::Other),
            ]
        }

        prop_compose! {
            fn model()(
                (slug, display_name, context_window, efforts, default_effort) in
                    (any::<String>(), any::<String>(), any::<Option<u64>>(),
                     prop::collection::vec(effort(), 0..4), prop::option::of(effort())),
                (supports_summaries, supports_verbosity, default_verbosity, supports_parallel_tool_calls) in
                    (any::<bool>(), any::<bool>(), any::<Option<String>>(), any::<bool>()),
                (service_tiers, priority, visible, upgrade, min_client_version) in
                    (prop::collection::vec(any::<String>(), 0..3), any::<i64>(), any::<bool>(),
                     any::<Option<String>>(), any::<Option<String>>()),
                (default_summary, use_responses_lite, available_in_plans, listed) in
                    (any::<Option<String>>(), any::<bool>(), prop::collection::vec(any::<String>(), 0..3), any::<bool>()),
            ) -> ModelInfo {
                ModelInfo {
                    slug, display_name, context_window, efforts, default_effort, supports_summaries,
                    supports_verbosity, default_verbosity, supports_parallel_tool_calls, service_tiers,
                    priority, visible, upgrade, min_client_version, default_summary, use_responses_lite,
                    available_in_plans, listed,
                }
            }
        }

        proptest! {
            /// Every field under the name the derive gave it, with its value (absent ones `null`).
            #[test]
            fn a_model_reads_back_field_by_field(m in model()) {
                let mut out = String::new();
                m.write(&mut out);
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                let efforts: Vec<&str> = m.efforts.iter().map(Effort::as_str).collect();
                prop_assert_eq!(v, json!({
                    "slug": m.slug, "displayName": m.display_name, "contextWindow": m.context_window,
                    "efforts": efforts, "defaultEffort": m.default_effort.as_ref().map(Effort::as_str),
                    "supportsSummaries": m.supports_summaries, "supportsVerbosity": m.supports_verbosity,
                    "defaultVerbosity": m.default_verbosity,
                    "supportsParallelToolCalls": m.supports_parallel_tool_calls,
                    "serviceTiers": m.service_tiers, "priority": m.priority, "visible": m.visible,
                    "upgrade": m.upgrade, "minClientVersion": m.min_client_version,
                    "defaultSummary": m.default_summary, "useResponsesLite": m.use_responses_lite,
                    "availableInPlans": m.available_in_plans, "listed": m.listed,
                }));
            }
        }
    }
}
