// Checks a ledger entry in the browser, trusting nothing the page says: the entry, its
// inclusion proof and the latest checkpoint come from the public API; SHA-256 is the
// browser's own (WebCrypto), Ed25519 is noble-ed25519. The same checks as
// smartgov/ledger/verify.py: RFC 9162 hashing and proofs, C2SP signed notes.
import { verifyAsync } from "/static/noble/index.js";

const encoder = new TextEncoder();

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function join(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", join(...parts)));
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const leafHash = (body) => sha256(Uint8Array.of(0), encoder.encode(body));
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

// RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
async function rootFromInclusion(index, size, leaf, proof) {
  if (!(index >= 0 && index < size)) throw new Error(`entry ${index} is not in a tree of ${size}`);
  let fn = index, sn = size - 1, root = leaf;
  for (const node of proof) {
    if (sn === 0) throw new Error("the inclusion proof is longer than the tree is deep");
    if (fn % 2 === 1 || fn === sn) {
      root = await nodeHash(node, root);
      while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      root = await nodeHash(root, node);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error("the inclusion proof is shorter than the tree is deep");
  return root;
}

// A verifier key, name+hex key id+base64(0x01 || public key), its id checked.
async function parseKey(text) {
  const [name, id, encoded] = text.trim().split("+");
  if (!name || !id || !encoded) throw new Error("the key is not name+id+key");
  const typed = fromBase64(encoded);
  if (typed[0] !== 1 || typed.length !== 33) throw new Error("the key is not a log's Ed25519 key");
  const hash = await sha256(encoder.encode(name + "\n"), typed);
  const expected = Array.from(hash.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
  if (expected !== id) throw new Error("the key's id does not match its name and key");
  return { name, id: hash.slice(0, 4), publicKey: typed.slice(1) };
}

// A C2SP signed note: its text up to the blank line, signed by the key's name.
async function openCheckpoint(note, key) {
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0 || !note.endsWith("\n")) throw new Error("not a signed note");
  const text = note.slice(0, cut + 1);
  let verified = false;
  for (const line of note.slice(cut + 2).split("\n").filter(Boolean)) {
    const [dash, name, encoded] = line.split(" ");
    if (dash !== "\u2014" || name !== key.name) continue;
    const raw = fromBase64(encoded);
    if (!same(raw.slice(0, 4), key.id)) continue;
    if (!(await verifyAsync(raw.slice(4), encoder.encode(text), key.publicKey, { zip215: false }))) {
      throw new Error("the checkpoint's signature is not valid");
    }
    verified = true;
  }
  if (!verified) throw new Error(`the checkpoint is not signed by ${key.name}`);
  const [origin, size, root] = text.split("\n");
  if (origin !== key.name) throw new Error(`the checkpoint is for log ${origin}`);
  return { size: Number(size), root: fromBase64(root) };
}

async function fetched(path, asText) {
  const answer = await fetch(path, { headers: { Accept: asText ? "text/plain" : "application/json" } });
  if (!answer.ok) throw new Error(`${path} answered ${answer.status}`);
  return asText ? answer.text() : answer.json();
}

const form = document.getElementById("sg-verify");
const result = document.getElementById("sg-verify-result");

function say(text, ok) {
  const item = document.createElement("li");
  item.textContent = (ok ? "\u2713 " : "\u2717 ") + text;
  item.className = ok ? "text-green" : "text-secondary-dark";
  result.append(item);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.replaceChildren();
  const index = Number(form.dataset.index);
  try {
    const key = await parseKey(form.elements.key.value);
    const checkpoint = await openCheckpoint(await fetched("/api/v1/ledger/checkpoint", true), key);
    say(form.dataset.okSignature, true);
    const entry = await fetched(`/api/v1/ledger/entries/${index}`);
    const leaf = await leafHash(entry.body);
    const proof = await fetched(`/api/v1/ledger/proof/inclusion?index=${index}&size=${checkpoint.size}`);
    if (!same(leaf, fromBase64(proof.leaf_hash))) throw new Error("the entry does not hash to its leaf");
    say(form.dataset.okLeaf, true);
    const root = await rootFromInclusion(index, checkpoint.size, leaf, proof.proof.map(fromBase64));
    if (!same(root, checkpoint.root)) throw new Error("the proof leads to another root");
    say(form.dataset.okRoot, true);
    result.dataset.verdict = "ok";
  } catch (error) {
    say(`${form.dataset.failed} ${error.message}`, false);
    result.dataset.verdict = "failed";
  }
});
