//! A replicated key-value store: the state machine applied to the Raft log, with client sessions
//! so that a retried command takes effect once (Ongaro's dissertation §6.3).
//!
//! Commands travel in the log as JSON text, one flat object per command:
//! `{"client":1,"seq":4,"op":"cas","key":"x","from":"3","to":"4"}`. The core never looks inside;
//! every node's [`Kv`] decodes and applies them in log order, so all agree.
//!
//! Operations (values are strings):
//! - `put(key, value)` → ok;
//! - `get(key)` → the value, or null when the key is missing;
//! - `cas(key, from, to)` → ok true when the value was `from` and is now `to`; ok false (a read)
//!   otherwise;
//! - `increment(key)` → the new value; a missing key counts as "0"; ok false and no change when
//!   the value is not an integer.

use crate::collections::Map;

/// A client's id.
pub type ClientId = u32;

/// One key-value operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Store `value` under `key`.
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Read `key`.
    Get {
        /// The key.
        key: String,
    },
    /// Compare-and-set: if `key` holds `from`, store `to`.
    Cas {
        /// The key.
        key: String,
        /// The value expected.
        from: String,
        /// The value to store.
        to: String,
    },
    /// Add one to the integer under `key` (missing: 0).
    Increment {
        /// The key.
        key: String,
    },
}

impl Op {
    /// The operation in a sentence: `put x=3`, `get x`, `cas x 1→2`, `increment x`.
    pub fn sentence(&self) -> String {
        match self {
            Op::Put { key, value } => format!("put {key}={value}"),
            Op::Get { key } => format!("get {key}"),
            Op::Cas { key, from, to } => format!("cas {key} {from}→{to}"),
            Op::Increment { key } => format!("increment {key}"),
        }
    }

    /// What the operation returned, in a sentence: a value in quotes, `null`, `ok`, `no swap`
    /// or `not a number`.
    pub fn output_sentence(&self, out: &Output) -> String {
        match self {
            Op::Get { .. } => out.value.as_deref().map_or("null".into(), |v| format!("\"{v}\"")),
            Op::Cas { .. } => if out.ok { "ok".into() } else { "no swap".into() },
            Op::Increment { .. } => out.value.as_deref().map_or("not a number".into(), |v| format!("\"{v}\"")),
            Op::Put { .. } => "ok".into(),
        }
    }
    /// `put`, `get`, `cas` or `increment`.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Put { .. } => "put",
            Op::Get { .. } => "get",
            Op::Cas { .. } => "cas",
            Op::Increment { .. } => "increment",
        }
    }

    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Get { key } | Op::Cas { key, .. } | Op::Increment { key } => key,
        }
    }
}

/// A command in the log: client `client`'s `seq`-th operation (seq from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The client's id.
    pub client: ClientId,
    /// The client's sequence number for this operation; a retry reuses it.
    pub seq: u64,
    /// The operation.
    pub op: Op,
}

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Output {
    /// For `cas`: whether it swapped; for `increment`: whether the value was an integer;
    /// true otherwise.
    pub ok: bool,
    /// For `get`: the value (None: missing); for `increment`: the new value; else None.
    pub value: Option<String>,
}

pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Command {
    /// The command as JSON text, as it is stored in the log.
    pub fn encode(&self) -> String {
        let mut out = format!("{{\"client\":{},\"seq\":{},\"op\":\"{}\",\"key\":", self.client, self.seq, self.op.name());
        push_json_str(&mut out, self.op.key());
        match &self.op {
            Op::Put { value, .. } => {
                out.push_str(",\"value\":");
                push_json_str(&mut out, value);
            }
            Op::Cas { from, to, .. } => {
                out.push_str(",\"from\":");
                push_json_str(&mut out, from);
                out.push_str(",\"to\":");
                push_json_str(&mut out, to);
            }
            Op::Get { .. } | Op::Increment { .. } => {}
        }
        out.push('}');
        out
    }

    /// Parses what [`encode`](Self::encode) writes; None for any other text (a command that is
    /// not a key-value operation, e.g. one typed into the page, which the store ignores).
    pub fn decode(text: &str) -> Option<Command> {
        let fields = parse_flat_object(text)?;
        let get = |k: &str| fields.iter().find(|(name, _)| name == k).map(|(_, v)| v);
        let string = |k: &str| match get(k)? {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) => None,
        };
        let int = |k: &str| match get(k)? {
            Value::Int(n) => Some(*n),
            Value::Str(_) => None,
        };
        let key = string("key")?;
        let op = match string("op")?.as_str() {
            "put" => Op::Put { key, value: string("value")? },
            "get" => Op::Get { key },
            "cas" => Op::Cas { key, from: string("from")?, to: string("to")? },
            "increment" => Op::Increment { key },
            _ => return None,
        };
        Some(Command { client: u32::try_from(int("client")?).ok()?, seq: int("seq")?, op })
    }
}

enum Value {
    Str(String),
    Int(u64),
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_ws(c: &mut Chars) {
    while c.peek().is_some_and(|x| x.is_whitespace()) {
        c.next();
    }
}

/// A JSON string, as `push_json_str` writes it (and the usual escapes).
fn read_str(c: &mut Chars) -> Option<String> {
    if c.next()? != '"' {
        return None;
    }
    let mut s = String::new();
    loop {
        match c.next()? {
            '"' => return Some(s),
            '\\' => match c.next()? {
                '"' => s.push('"'),
                '\\' => s.push('\\'),
                '/' => s.push('/'),
                'n' => s.push('\n'),
                't' => s.push('\t'),
                'r' => s.push('\r'),
                'u' => {
                    let hex: String = (0..4).map(|_| c.next()).collect::<Option<String>>()?;
                    s.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            ch => s.push(ch),
        }
    }
}

fn read_uint(c: &mut Chars) -> Option<u64> {
    let mut digits = String::new();
    while c.peek().is_some_and(|x| x.is_ascii_digit()) {
        digits.push(c.next()?);
    }
    digits.parse().ok()
}

/// A JSON object whose values are strings or non-negative integers, as `encode` writes them.
fn parse_flat_object(text: &str) -> Option<Vec<(String, Value)>> {
    let mut chars = text.trim().chars().peekable();
    let mut fields = Vec::new();
    if chars.next()? != '{' {
        return None;
    }
    loop {
        skip_ws(&mut chars);
        if chars.peek() == Some(&'}') && fields.is_empty() {
            chars.next();
            break;
        }
        let name = read_str(&mut chars)?;
        skip_ws(&mut chars);
        if chars.next()? != ':' {
            return None;
        }
        skip_ws(&mut chars);
        let value = if chars.peek() == Some(&'"') { Value::Str(read_str(&mut chars)?) } else { Value::Int(read_uint(&mut chars)?) };
        fields.push((name, value));
        skip_ws(&mut chars);
        match chars.next()? {
            ',' => continue,
            '}' => break,
            _ => return None,
        }
    }
    skip_ws(&mut chars);
    chars.next().is_none().then_some(fields)
}

/// The key-value state machine with its client sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kv {
    data: Map<String, String>,
    /// Per client: the last seq applied and what it returned (dissertation §6.3).
    sessions: Map<ClientId, (u64, Output)>,
}

impl Kv {
    /// An empty store.
    pub fn new() -> Self {
        Kv::default()
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(String::as_str)
    }

    /// Every key and value, in key order.
    pub fn data(&self) -> &Map<String, String> {
        &self.data
    }

    /// Applies a command from the log and returns its output. A command whose seq the client's
    /// session already applied returns the recorded output and changes nothing (a retry);
    /// an older one (the client has moved on) returns None.
    pub fn apply(&mut self, cmd: &Command) -> Option<Output> {
        if let Some((last, out)) = self.sessions.get(&cmd.client) {
            if cmd.seq == *last {
                return Some(out.clone());
            }
            if cmd.seq < *last {
                return None;
            }
        }
        let out = self.execute(&cmd.op);
        self.sessions.insert(cmd.client, (cmd.seq, out.clone()));
        Some(out)
    }

    /// The store as text, for a snapshot (Raft paper §7): one line per key, `d "key" "value"`,
    /// and one per client session, `s client seq ok "value"|-`.
    pub fn snapshot(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.data {
            out.push_str("d ");
            push_json_str(&mut out, k);
            out.push(' ');
            push_json_str(&mut out, v);
            out.push('\n');
        }
        for (client, (seq, o)) in &self.sessions {
            out.push_str(&format!("s {client} {seq} {} ", u8::from(o.ok)));
            match &o.value {
                Some(v) => push_json_str(&mut out, v),
                None => out.push('-'),
            }
            out.push('\n');
        }
        out
    }

    /// The store a [`snapshot`](Self::snapshot) text describes; None if the text is not one.
    pub fn restore(text: &str) -> Option<Kv> {
        let mut kv = Kv::new();
        for line in text.lines() {
            let mut c = line.chars().peekable();
            match c.next()? {
                'd' => {
                    skip_ws(&mut c);
                    let k = read_str(&mut c)?;
                    skip_ws(&mut c);
                    let v = read_str(&mut c)?;
                    kv.data.insert(k, v);
                }
                's' => {
                    skip_ws(&mut c);
                    let client = ClientId::try_from(read_uint(&mut c)?).ok()?;
                    skip_ws(&mut c);
                    let seq = read_uint(&mut c)?;
                    skip_ws(&mut c);
                    let ok = read_uint(&mut c)? == 1;
                    skip_ws(&mut c);
                    let value = if c.peek() == Some(&'-') { None } else { Some(read_str(&mut c)?) };
                    kv.sessions.insert(client, (seq, Output { ok, value }));
                }
                _ => return None,
            }
        }
        Some(kv)
    }

    /// Runs `op` on the data, with no session bookkeeping (the sequential specification).
    pub fn execute(&mut self, op: &Op) -> Output {
        match op {
            Op::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                Output { ok: true, value: None }
            }
            Op::Get { key } => Output { ok: true, value: self.data.get(key).cloned() },
            Op::Cas { key, from, to } => {
                let swap = self.data.get(key) == Some(from);
                if swap {
                    self.data.insert(key.clone(), to.clone());
                }
                Output { ok: swap, value: None }
            }
            Op::Increment { key } => {
                let current = self.data.get(key).map_or("0", String::as_str);
                match current.parse::<i64>().ok().and_then(|n| n.checked_add(1)) {
                    Some(n) => {
                        self.data.insert(key.clone(), n.to_string());
                        Output { ok: true, value: Some(n.to_string()) }
                    }
                    None => Output { ok: false, value: None },
                }
            }
        }
    }
}
