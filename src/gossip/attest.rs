//! Credential propagation: collective validation on gossip (issue #13 §6; the chapter: "Agents
//! share evidence and attestations; collective validation provides higher confidence than
//! individual checks. However, collective validation increases latency.")
//!
//! An agent publishes a claim, true or false. Each agent that holds it checks it for itself —
//! an honest agent is right with probability [`Attestations::accuracy`], a liar attests the
//! opposite of the truth — and adds its attestation. Claims and attestations are ordinary
//! entries of the gossiped replica, so they travel together by anti-entropy and rumors:
//!
//! - `claim/<id>` → `true` | `false`: the claim, carrying its truth. The truth stands for what
//!   an agent's own check would find; the simulation uses it only to model that check (right
//!   with probability `accuracy`), and no agent decides from it.
//! - `att/<id>/<attester>` → `valid` | `invalid`: one attestation, written by the attester.
//!
//! An agent decides a claim once it holds `k` admitted attestations that agree (its own among
//! them): it accepts the claim at `k` saying valid, rejects it at `k` saying invalid (the first
//! reached; when both reach k at once — a claim arriving with many attestations — the side with
//! more, and on a tie its own check), and never changes its mind. Admitted: any attester name, or with [`Attestations::members_only`] only
//! the configured members (`n1` … `nN`) and only attestations written by the member they name
//! (the entry's version carries its writer: signed, in effect). Traitors (the simulator's
//! Byzantine machinery, [`crate::protocol::Protocol::BEHAVIOURS`]): `lie` attests the opposite
//! of the truth; `sybil` does too, and mints [`Attestations::sybils`] more identities
//! (`sybil-<agent>-<j>`) that attest the same — Douceur's Sybil attack ("The Sybil Attack",
//! IPTPS 2002), which a threshold of distinct identities cannot stop unless identities are
//! admitted.

use super::node::Core;
use super::sim::Gossip;
use crate::error::{Error, Result};
use crate::protocol::{BehaviourInfo, Ctx, Micros, Out};

/// The traitors' behaviours gossip offers (`BEHAVIOURS[i]`: [`crate::protocol::Byzantine::Lie`]`(i)`).
pub const BEHAVIOURS: [BehaviourInfo; 2] = [
    BehaviourInfo { name: "lie", does: "attests the opposite of what its check finds" },
    BehaviourInfo { name: "sybil", does: "lies, and attests under many minted identities too" },
];

/// Collective validation's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attestations {
    /// Agreeing attestations an agent needs to decide a claim (1 or more).
    pub k: usize,
    /// The probability that an honest agent's own check is right, in `[0, 1]`.
    pub accuracy: f64,
    /// Only members attest: attestations named after anyone but `n1` … `nN`, or written by
    /// another agent than the one they name, do not count.
    pub members_only: bool,
    /// Identities a `sybil` traitor mints besides its own.
    pub sybils: usize,
}

/// The most agents a simulation with collective validation may have: each agent holds an
/// attestation of every other (n² entries in all), so 10,000 agents would need ~10⁸.
pub const MAX_AGENTS: usize = 1_000;

impl Default for Attestations {
    /// k = 3, accuracy 0.95, any identity counts, 10 minted identities per Sybil.
    fn default() -> Self {
        Attestations { k: 3, accuracy: 0.95, members_only: false, sybils: 10 }
    }
}

impl Attestations {
    /// Checks every rule; errors name the JS key.
    pub fn validate(&self) -> Result<()> {
        if self.k == 0 || self.k > 100_000 {
            return Err(Error::invalid("attestations.k", "must be an integer from 1 to 100000"));
        }
        if !(0.0..=1.0).contains(&self.accuracy) {
            return Err(Error::invalid("attestations.accuracy", "must be a number from 0 to 1"));
        }
        if self.sybils > 1_000 {
            return Err(Error::invalid("attestations.sybils", "must be an integer from 0 to 1000"));
        }
        Ok(())
    }
}

/// A claim's key.
pub fn claim_key(id: &str) -> String {
    format!("claim/{id}")
}

/// An attestation's key.
pub fn attestation_key(id: &str, attester: &str) -> String {
    format!("att/{id}/{attester}")
}

/// What an agent decided about a claim, and when (µs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Accepted (k admitted attestations said valid) or rejected (k said invalid).
    pub accepted: bool,
    /// When, µs.
    pub at: Micros,
}

/// The member index an attester's name stands for (`n3` → 2), if it is one of `nodes` and
/// spelled as the member's name (`n03`, `n+3` are not `n3`: one member, one identity).
fn member(name: &str, nodes: usize) -> Option<usize> {
    let i: usize = name.strip_prefix('n')?.parse().ok()?;
    (1..=nodes).contains(&i).then(|| i - 1).filter(|&m| crate::protocol::node_name(m) == name)
}

impl Gossip {
    /// After a handler changed the agent's replica: attests each claim it holds and has not
    /// attested yet, then decides each claim it has not decided and holds `k` agreeing
    /// admitted attestations for. Does nothing without [`super::Options::attestations`], or
    /// when nothing changed since the last call.
    pub(crate) fn attest_step(&self, n: &mut Core, cx: &mut Ctx, out: &mut Out<Self>) {
        let Some(a) = self.options.attestations else { return };
        if n.changes == n.attested_at {
            return;
        }
        // Claims held: id → truth.
        let claims: Vec<(String, bool)> =
            n.store.iter().filter_map(|(k, e)| Some((k.strip_prefix("claim/")?.to_string(), e.value.as_deref()? == "true"))).collect();
        let me = crate::protocol::node_name(cx.me);
        for (id, truth) in &claims {
            if n.store.contains_key(attestation_key(id, &me).as_str()) {
                continue;
            }
            let (verdict, minted) = match n.traitor {
                None => (if crate::sim::chance(cx.rng, a.accuracy) { *truth } else { !*truth }, 0),
                Some(0) => (!*truth, 0),
                Some(_) => (!*truth, a.sybils),
            };
            let value = if verdict { "valid" } else { "invalid" };
            self.write(n, cx, &attestation_key(id, &me), Some(value.to_string()), None, out);
            for j in 0..minted {
                self.write(n, cx, &attestation_key(id, &format!("sybil-{me}-{j}")), Some(value.to_string()), None, out);
            }
        }
        for (id, _) in claims {
            if n.verdicts.contains_key(id.as_str()) {
                continue;
            }
            let prefix = format!("att/{id}/");
            let (mut valid, mut invalid) = (0usize, 0usize);
            for (k, e) in n.store.iter() {
                let Some(attester) = k.strip_prefix(prefix.as_str()) else { continue };
                let admitted = !a.members_only || member(attester, cx.nodes).is_some_and(|i| i == e.version.writer);
                match e.value.as_deref() {
                    Some("valid") if admitted => valid += 1,
                    Some("invalid") if admitted => invalid += 1,
                    _ => {}
                }
            }
            if valid >= a.k || invalid >= a.k {
                // Both at k in one step (the claim arrived with attestations of both kinds): the
                // side with more; on a tie, the agent's own check.
                let own = n.store.get(attestation_key(&id, &me).as_str()).and_then(|e| e.value.as_deref()) == Some("valid");
                let accepted = if valid >= a.k && invalid >= a.k { valid > invalid || (valid == invalid && own) } else { valid >= a.k };
                n.verdicts.insert(id.clone(), Verdict { accepted, at: cx.now });
                out.note(super::notes::Note::Verdict { at: cx.me, claim: id, accepted, valid, invalid });
            }
        }
        n.attested_at = n.changes;
    }
}

/// How the live honest agents stand on one claim.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Live honest agents that accepted it.
    pub accepted: usize,
    /// Live honest agents that rejected it.
    pub rejected: usize,
    /// Live honest agents that have not decided.
    pub undecided: usize,
    /// When the last of the decided ones decided, µs (0: none has).
    pub last_at: Micros,
}

/// Collective validation's actions on the simulator.
impl crate::sim::Simulation<Gossip> {
    /// Agent `agent` publishes claim `id`, true or false (the truth its checkers' own checks
    /// find, with their accuracy), and attests it at once. Errors: attestations are off, no
    /// such agent, it is crashed or paused, `id` is empty or holds a `/`.
    pub fn publish_claim(&mut self, agent: usize, id: &str, truth: bool) -> Result<()> {
        if self.options().attestations.is_none() {
            return Err(Error::invalid("attestations", "must be set to publish a claim"));
        }
        if id.is_empty() || id.contains('/') {
            return Err(Error::invalid("id", "must be a non-empty string without '/'"));
        }
        self.set(agent, &claim_key(id), if truth { "true" } else { "false" })?;
        Ok(())
    }

    /// What agent `agent` decided about claim `id`, if it has.
    pub fn verdict(&self, agent: usize, id: &str) -> Option<Verdict> {
        self.node_state(agent).verdicts.get(id).copied()
    }

    /// How the live (not crashed) honest agents stand on claim `id`.
    pub fn tally(&self, id: &str) -> Tally {
        let mut t = Tally::default();
        #[cfg(feature = "byzantine")]
        let honest = |i: usize| self.byzantine(i).is_none();
        // Without traitors on the simulator, every agent is honest.
        #[cfg(not(feature = "byzantine"))]
        let honest = |_: usize| true;
        for i in (0..self.ids().len()).filter(|&i| !self.is_crashed(i) && honest(i)) {
            match self.verdict(i, id) {
                Some(v) if v.accepted => t.accepted += 1,
                Some(_) => t.rejected += 1,
                None => t.undecided += 1,
            }
            t.last_at = t.last_at.max(self.verdict(i, id).map_or(0, |v| v.at));
        }
        t
    }
}

/// What one run of collective validation measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    /// The honest agents' tally when every honest agent had decided, or at the time limit.
    pub tally: Tally,
    /// Honest agents.
    pub honest: usize,
    /// Whether every honest agent decided within the limit.
    pub complete: bool,
}

impl Run {
    /// The fraction of honest agents that decided wrongly (accepted a false claim, rejected a
    /// true one).
    pub fn wrong(&self, truth: bool) -> f64 {
        (if truth { self.tally.rejected } else { self.tally.accepted }) as f64 / self.honest.max(1) as f64
    }
}

/// One claim published among `n` agents by push-pull anti-entropy (rounds of 100 ms,
/// independent phases, latency 10–15 ms), `liars` of them traitors showing `behaviour`
/// (`lie` or `sybil`, drawn from the seed); a false claim is published by a liar when there is
/// one, a true one by an honest agent. Runs until every honest agent has decided or 60
/// simulated seconds pass.
///
/// Errors: settings that break a rule ([`Attestations::validate`], `n` within 1 ..= 10,000,
/// `liars < n`), or a behaviour other than `lie` and `sybil`. Needs the `byzantine` feature
/// (traitors on the simulator).
#[cfg(feature = "byzantine")]
pub fn run(n: usize, liars: usize, behaviour: &str, a: Attestations, truth: bool, seed: u64) -> Result<Run> {
    use crate::protocol::{Byzantine, Protocol};
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    if liars >= n {
        return Err(Error::invalid("liars", "must be fewer than the agents"));
    }
    let b = Byzantine::named(behaviour, Gossip::BEHAVIOURS, Vec::new()).filter(|b| matches!(b, Byzantine::Lie(_))).ok_or_else(|| Error::invalid("behaviour", "must be lie or sybil"))?;
    let config = crate::sim::SimConfig { seed, nodes: n, latency_us: (10_000, 15_000), ..Default::default() };
    let options = super::Options { attestations: Some(a), ..Default::default() };
    let mut s = crate::sim::Simulation::<Gossip>::new(config, options)?;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand_pcg::Pcg64Mcg::seed_from_u64(seed ^ 0x5eed));
    for &i in &order[..liars] {
        s.set_byzantine(i, Some(b.clone()))?;
    }
    let publisher = if !truth && liars > 0 { order[0] } else { order[liars] };
    s.publish_claim(publisher, "c", truth)?;
    let honest = n - liars;
    let mut t = 0;
    loop {
        let tally = s.tally("c");
        if tally.undecided == 0 || t >= 60_000_000 {
            return Ok(Run { tally, honest, complete: tally.undecided == 0 });
        }
        t += 10_000;
        s.run_until(t);
    }
}
