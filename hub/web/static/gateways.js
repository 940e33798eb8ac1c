// The gateways and their serial scanners (/settings/gateways). Everyone reads the
// gateways' last status; a scanner's registration (which user its scans book as, in which
// modes, at which bin by default) is an admin's (the scanners API is admin-only), so only
// admins get Register and Edit. A gateway is known once it has reported or has a scanner
// registered: registering a scanner for a new gateway name registers the gateway here.
// The gateways' MQTT logins are made on the hub's machine (stockwarden broker-acl): the
// API has no credentials to show, so this page shows none.
import { api, session } from "./api.js";
import { editForm } from "./editform.js";
import { t } from "./i18n.js";
import { MODES } from "./labels.js";
import { el, when } from "./monitor.js";
import { admin, editButton, heads, row, say, send } from "./settings.js";

const GATEWAY_LABELS = heads("gateways");
const SCANNER_LABELS = heads("scanners");
let data = { gateways: [], users: [], locations: [] };

const MODE_WORDS = () => ({
  receive: t("receive"), dispatch: t("dispatch"), transfer: t("transfer"), count: t("count"),
  return: t("return"), identify: t("identify"),
});

function state(gateway) {
  if (gateway.state === "unknown" && !gateway.last_seen) return t("not heard from yet");
  return { online: t("online"), offline: t("offline") }[gateway.state] ?? t("unknown (readings only)");
}

function outbox(gateway) {
  if (gateway.outbox_depth === null || gateway.outbox_depth === undefined) return "";
  return gateway.outbox_dropped ? t("{n} waiting, {dropped} dropped", { n: gateway.outbox_depth, dropped: gateway.outbox_dropped })
    : t("{n} waiting", { n: gateway.outbox_depth });
}

function devices(gateway) {
  return Object.entries(gateway.devices || {}).map(([name, health]) => `${name}: ${health.state}`).join(", ");
}

function modes(scanner) {
  const words = MODE_WORDS();
  return (scanner.modes || []).map((mode) => words[mode] ?? mode).join(", ");
}

function render() {
  document.querySelector("#gateways tbody").replaceChildren(...data.gateways.map((g) => {
    const tr = row(GATEWAY_LABELS, g.id, [g.id, g.site ?? "", state(g), g.last_seen ? when(g.last_seen) : t("never"),
      g.version ?? "", outbox(g), String(g.sensors), devices(g)],
    admin() ? el("button", { type: "button", className: "add-scanner", textContent: t("Add scanner"),
      ariaLabel: t("Register a scanner of {gateway}", { gateway: g.id }), onclick: () => registerScanner(g.id) }) : "");
    tr.dataset.state = g.state;
    return tr;
  }));
  const scanners = data.gateways.flatMap((g) => g.scanners.map((s) => ({ ...s, gateway: g.id })));
  document.querySelector("#scanners tbody").replaceChildren(...scanners.map((s) => row(SCANNER_LABELS, `${s.gateway}/${s.id}`, [
    s.gateway, s.id, s.registered ? (s.operator ?? "") : t("not registered"), s.registered ? modes(s) : "",
    s.default_location ?? "", s.reported ? (s.connected === false ? t("yes, disconnected") : t("yes")) : t("no"), s.problem ?? "",
  ], editButton(t("Edit scanner {scanner} of {gateway}", { scanner: s.id, gateway: s.gateway }), () => editScanner(s)),
  admin() && s.registered ? el("button", { type: "button", className: "unregister", textContent: t("Unregister"),
    ariaLabel: t("Unregister scanner {scanner} of {gateway}", { scanner: s.id, gateway: s.gateway }), onclick: () => unregister(s) }) : "")));
  if (!scanners.length) {
    document.querySelector("#scanners tbody").replaceChildren(el("tr", {}, el("td", { colSpan: 8, textContent: t("No scanners yet.") })));
  }
  document.getElementById("new-scanner").hidden = !admin();
}

async function load() {
  const [gateways, users, locations] = await Promise.all([
    api("/api/v1/gateways"),
    admin() ? api("/api/v1/users") : [],
    admin() ? api("/api/v1/locations") : [],
  ]);
  data = { gateways, users: users.filter((u) => u.active), locations: locations.filter((l) => l.active) };
  render();
}

// --- the form ----------------------------------------------------------------------------

function fields(scanner = null, gateway = "") {
  const words = MODE_WORDS();
  const allowed = scanner?.registered ? scanner.modes : MODES;
  return [
    ...(scanner ? [] : [
      { name: "gateway", label: t("Gateway"), required: true, value: gateway, pattern: "[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,63}",
        hint: data.gateways.length ? t("known: {ids}; a new name registers a new gateway", { ids: data.gateways.map((g) => g.id).join(", ") })
          : t("the gateway's id, as in its configuration") },
      { name: "scanner", label: t("Scanner"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,63}", hint: t("the scanner's id in the gateway's configuration") },
    ]),
    { name: "operator", label: t("Its scans book as"), type: "select", required: true, value: scanner?.operator ?? "",
      options: [["", t("choose a user")], ...data.users.map((u) => [u.username, `${u.username} · ${u.role}`])] },
    { name: "location", label: t("Default bin (when a scan names none)"), type: "select", value: scanner?.default_location ?? "",
      options: [["", t("none")], ...data.locations.map((l) => [l.code, l.name ? `${l.code} · ${l.name}` : l.code])] },
    ...MODES.map((mode) => ({ name: `mode_${mode}`, label: t("May scan to {mode}", { mode: words[mode] }), type: "checkbox", value: allowed.includes(mode) })),
  ];
}

function registration(values) {
  return {
    operator: values.operator, location: values.location,
    modes: MODES.filter((mode) => values[`mode_${mode}`]),
  };
}

async function put(gateway, scanner, body, verb) {
  if (!body.modes.length) { say(t("Scanner {scanner} not saved: allow at least one mode.", { scanner }), "error"); return; }
  try {
    await send(`/api/v1/gateways/${encodeURIComponent(gateway)}/scanners/${encodeURIComponent(scanner)}`, "PUT", body);
  } catch (err) {
    say(t("Scanner {scanner} not saved: {why}", { scanner, why: err.message }), "error");
    return;
  }
  await load();
  say(verb === "register" ? t("Registered scanner {scanner} of gateway {gateway}", { scanner, gateway })
    : t("Saved scanner {scanner} of gateway {gateway}", { scanner, gateway }), "ok");
}

async function registerScanner(gateway = "") {
  const values = await editForm(t("Register a scanner"), fields(null, typeof gateway === "string" ? gateway : ""), { ok: t("Register") });
  if (values === null) return;
  await put(values.gateway, values.scanner, registration(values), "register");
}

async function editScanner(scanner) {
  const title = scanner.registered ? t("Scanner {scanner} of {gateway}", { scanner: scanner.id, gateway: scanner.gateway })
    : t("Register scanner {scanner} of {gateway}", { scanner: scanner.id, gateway: scanner.gateway });
  const values = await editForm(title, fields(scanner), { ok: scanner.registered ? t("Save") : t("Register") });
  if (values === null) return;
  await put(scanner.gateway, scanner.id, registration(values), scanner.registered ? "edit" : "register");
}

async function unregister(scanner) {
  const names = { scanner: scanner.id, gateway: scanner.gateway };
  // No fields: the focus rests on Cancel, so Enter does not unregister by mistake.
  const sure = await editForm(t("Unregister scanner {scanner} of {gateway}? Its scans are refused from then on.", names), [],
    { ok: t("Unregister") });
  if (sure === null) return;
  try {
    await send(`/api/v1/gateways/${encodeURIComponent(scanner.gateway)}/scanners/${encodeURIComponent(scanner.id)}`, "DELETE");
  } catch (err) {
    say(t("Scanner {scanner} not unregistered: {why}", { scanner: scanner.id, why: err.message }), "error");
    return;
  }
  await load();
  say(t("Unregistered scanner {scanner} of gateway {gateway}", names), "ok");
}

// --- start -----------------------------------------------------------------------------

if (session()) {
  document.getElementById("new-scanner").addEventListener("click", () => registerScanner(""));
  if (!admin()) document.getElementById("who-edits").append(" ", t("You read it here; an admin registers scanners."));
  try {
    await load();
  } catch (err) {
    say(err.message, "error");
  }
  document.body.dataset.ready = "true";
}
