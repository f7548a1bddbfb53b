//! The Byzantine Generals (Lamport, Shostak & Pease, "The Byzantine Generals Problem", ACM
//! TOPLAS 4(3), 1982): the oral-messages algorithm OM(m), a commander and his lieutenants in
//! synchronous rounds, some of them traitors.
//!
//! The problem (§1): a commanding general sends an order — attack or retreat — to his n − 1
//! lieutenants so that
//!
//! - **IC1**: all loyal lieutenants obey the same order;
//! - **IC2**: if the commanding general is loyal, then every loyal lieutenant obeys the order
//!   he sends.
//!
//! **The impossibility (§2)**: with oral messages, no solution for three generals copes with a
//! single traitor — a loyal lieutenant who hears "attack" from the commander and "he said retreat"
//! from his peer cannot tell a traitorous commander from a traitorous peer — and, by its
//! corollary, no solution with fewer than 3m + 1 generals copes with m traitors (the paper
//! proves these in §2 without numbering them; its Theorem 2 is about signed messages, §4).
//!
//! **OM(m) (§3)**, under A1 (every message sent is delivered correctly), A2 (the receiver
//! knows who sent it) and A3 (its absence can be detected; a missing value is RETREAT): OM(0):
//! the commander sends his value to every lieutenant, who uses it. OM(m), m > 0: the commander
//! sends his value to every lieutenant; each lieutenant i acts as the commander in OM(m − 1),
//! sending the value it received to the n − 2 others; each lieutenant then uses the majority
//! of the value it received directly and the values the others' OM(m − 1) gave it. Messages
//! grow as (n − 1) + (n − 1)(n − 2) + … ([`count`]). **Theorem 1**: for any m, OM(m)
//! satisfies IC1 and IC2 if there are more than 3m generals and at most m traitors.
//!
//! Here the recursion runs as m + 1 synchronous rounds of messages that carry their relay
//! chain ([`node::Msg::Order`]); after the last round each lieutenant computes the recursive
//! majority bottom-up over the tree of chains ([`node::General::decide`]).
//!
//! - [`node`]: one general's state and OM(m)'s pieces, sans-IO (orders, messages, the round
//!   rule, relays, the recursive majority, traitors' behaviours).
//! - [`sim`]: OM(m) as a [`crate::protocol::Protocol`] (its round timer, runs started by the
//!   commander) and its actions on the generic simulator.
//! - [`notes`]: what a general narrates, as data, and its sentences.
//! - [`check`]: IC1 and IC2, and how to read a violation (a bug when N > 3m, the
//!   impossibility when N ≤ 3m).
//! - [`bug`]: deliberate bugs, to show the checker catches them.
//! - [`chaos`]: what the generals add to randomized fault runs.
//! - [`count`]: messages per decision, measured beside the closed form.

pub mod bug;
pub mod chaos;
pub mod check;
pub mod count;
pub mod node;
pub mod notes;
pub mod sim;

pub use bug::Bug;
pub use count::{closed_form, message_count, MessageCount};
pub use node::{Behaviour, General, Msg, Order, Run, DEFAULT};
pub use sim::{Decision, Generals, GeneralsSimulation, Options, Timer};
