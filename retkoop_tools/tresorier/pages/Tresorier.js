// Behaviour of the treasurer's pages (retkoop-tools): live checks, forms sent to the
// extension endpoints, filters. Every page carries data-rk-page; the server checks
// everything again, this script only helps the teacher see mistakes early.

const euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

/** "1 234,56" → 123456 (cents), null when it is not an amount. */
function cents(text) {
  let t = String(text ?? "").replace(/[\s\u00a0\u202f€]/g, "");
  if (/^-?\d{1,3}(\.\d{3})+(,\d{1,2})?$/.test(t)) t = t.replace(/\./g, "");
  if (!/^-?\d+([.,]\d{1,2})?$/.test(t)) return null;
  return Math.round(parseFloat(t.replace(",", ".")) * 100);
}
const eur = (c) => euros.format(c / 100);
const SESSION_EXPIRED = "Votre session a expiré : rien n'a été enregistré. Rechargez la page pour vous reconnecter, puis recommencez.";

/** The login page, coming back to this page afterwards. */
function toLogin() {
  window.location.assign(`/connexion?suite=${encodeURIComponent(window.location.pathname + window.location.search)}`);
}

function clearErrors(form) {
  for (const el of form.querySelectorAll("[data-rk-error]")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function fieldFor(form, key) {
  const line = /^ventilation-(\d+)$/.exec(key);
  if (line) return form.querySelectorAll("[data-rk-ligne] select")[Number(line[1]) - 1];
  return form.querySelector(`[name="${key}"]`);
}

function showErrors(form, errors) {
  let first = null;
  for (const [key, message] of Object.entries(errors)) {
    const slot = form.querySelector(`[data-rk-error="${key}"]`) || form.querySelector('[data-rk-error="general"]');
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    const field = fieldFor(form, key);
    if (field && field.type !== "hidden") {
      field.setAttribute("aria-invalid", "true");
      if (slot && slot.id === "") slot.id = `rk-err-${key}`;
      if (slot) field.setAttribute("aria-describedby", slot.id);
      first = first || field;
    }
  }
  if (first) { first.focus(); return; }
  // A message for the whole form (the server refused): brought into view and focused, so that
  // on a phone pressing Enregistrer visibly answers, and a screen reader reads it.
  const general = form.querySelector('[data-rk-error="general"]');
  if (general && general.textContent) {
    general.setAttribute("tabindex", "-1");
    general.scrollIntoView({ block: "center" });
    general.focus({ preventScroll: true });
  }
}

/** Load the page again (as Fava's router does) and say what was saved; in orange when the
 *  save added avertissements (the message then ends with « Attention : … »). */
async function refresh(message, url, warnings) {
  const target = new URL(url || window.location.href);
  if (url) window.history.replaceState(null, "", target);
  target.searchParams.set("partial", "true");
  const response = await fetch(target, { credentials: "same-origin" });
  if (response.status === 401) { toLogin(); return; }
  const article = document.querySelector("article");
  article.innerHTML = await response.text();
  initPage();
  const flash = article.querySelector("[data-rk-flash]");
  if (flash && message) {
    flash.textContent = `Enregistré : ${message}`;
    flash.className = warnings && warnings.length ? "rk-message rk-attention" : "rk-message rk-succes";
    flash.setAttribute("tabindex", "-1");
    flash.focus();
  }
}

async function post(url, body) {
  let response;
  try {
    response = await fetch(url, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    // The answer may be lost after the server saved: never say that nothing was recorded.
    return { ok: false, erreurs: { general: "La réponse du serveur n'est pas arrivée (connexion coupée ?) : l'opération a peut-être été enregistrée. Ouvrez le Cahier pour le vérifier avant de recommencer." } };
  }
  if (response.status === 401) return { ok: false, erreurs: { general: SESSION_EXPIRED } };
  try {
    const result = await response.json();
    if (result.error) return { ok: false, erreurs: { general: result.error } };
    return result;
  } catch {
    return { ok: false, erreurs: { general: `Le serveur a répondu par une erreur (${response.status}) : ouvrez le Cahier pour voir si l'opération a été enregistrée avant de recommencer.` } };
  }
}

/** A field's error goes away as soon as the teacher changes the field (it is checked again on saving). */
function clearFieldError(form, field) {
  if (!field.name || field.getAttribute("aria-invalid") !== "true") return;
  field.removeAttribute("aria-invalid");
  const slotId = field.getAttribute("aria-describedby");
  const slot = slotId ? document.getElementById(slotId) : null;
  if (slot && slot.matches("[data-rk-error]") && slot.dataset.rkError !== "general") slot.textContent = "";
}

function bindForm(form, nextUrl) {
  for (const kind of ["input", "change"]) form.addEventListener(kind, (event) => clearFieldError(form, event.target));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.rkConfirm && !window.confirm(form.dataset.rkConfirm)) return;
    clearErrors(form);
    const button = event.submitter || form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const body = new FormData(form);
    if (event.submitter?.name) body.set(event.submitter.name, event.submitter.value);
    const result = await post(form.action, body);
    if (button) button.disabled = false;
    if (result.ok) await refresh(result.message, nextUrl ? nextUrl(form) : undefined, result.avertissements);
    else showErrors(form, result.erreurs || {});
  });
}

// -- Saisie ------------------------------------------------------------------------------
function initSaisie(root) {
  const form = root.querySelector("form[data-rk-form]");
  const type = form.querySelector("[data-rk-type]");
  const mode = form.querySelector("[data-rk-mode]");
  const sens = form.querySelector('[name="sens"]');
  const regie = form.querySelector('[name="regie"]');
  const banque = form.querySelector('[name="banque"]');
  const vers = form.querySelector('[name="vers"]');
  const piece = form.querySelector('[name="piece"]');
  const cheque = form.querySelector('[name="cheque"]');
  const montant = form.querySelector("[data-rk-montant]");
  const lignes = form.querySelector("[data-rk-lignes]");
  const controle = form.querySelector("[data-rk-controle]");
  const suggestions = JSON.parse(form.dataset.rkSuggestions || "{}");
  const correcting = Boolean(form.querySelector('[name="remplace"]').value);
  piece.addEventListener("input", () => { piece.dataset.touched = "1"; });
  cheque.addEventListener("input", () => { cheque.dataset.touched = "1"; });

  function suggest() {
    if (correcting) return;
    const key = type.value === "virement" && ["banque-caisse", "banque-banque"].includes(sens.value) ? `virement-${sens.value}` : type.value;
    const s = suggestions[key];
    if (!s) return;
    if (!piece.dataset.touched) piece.value = s.piece;
    if (!cheque.dataset.touched) cheque.value = s.cheque;
  }

  function show() {
    const kind = type.value;
    for (const el of form.querySelectorAll("[data-rk-types]")) {
      if (el.tagName === "OPTION") { el.hidden = el.disabled = !el.dataset.rkTypes.split(" ").includes(kind); continue; }
      el.classList.toggle("rk-cache", !el.dataset.rkTypes.split(" ").includes(kind));
    }
    if (regie.selectedOptions[0]?.disabled) regie.selectedIndex = 0;
    // a transfer from one bank account to the other: the account debited, and the one credited
    const between = kind === "virement" && sens.value === "banque-banque";
    for (const el of form.querySelectorAll("[data-rk-virement]")) {
      const wrongType = Boolean(el.dataset.rkTypes) && !el.dataset.rkTypes.split(" ").includes(kind);
      el.classList.toggle("rk-cache", !between || wrongType);
    }
    for (const el of form.querySelectorAll("[data-rk-virement-hors]")) el.classList.toggle("rk-cache", between);
    if (banque && vers && between && vers.value === banque.value) {
      vers.value = [...vers.options].find((o) => o.value !== banque.value)?.value ?? vers.value;
    }
    const issuesCheque = ["depense", "regie-versement", "recette"].includes(kind) && mode.value === "CHQ";
    form.querySelector("[data-rk-cheque]").classList.toggle("rk-cache", !issuesCheque);
    const nouvelle = form.querySelector("[data-rk-nouvelle-regie]");
    nouvelle.classList.toggle("rk-cache", !(kind === "regie-versement" && regie.value === "nouvelle"));
    const wanted = kind === "recette" ? "produit" : "charge";
    for (const group of form.querySelectorAll("optgroup[data-rk-sens]")) {
      group.hidden = group.disabled = group.dataset.rkSens !== wanted;
    }
    for (const select of lignes.querySelectorAll("select")) {
      if (select.selectedOptions[0]?.parentElement?.disabled) select.value = "";
    }
    prefillRestitution();
    check();
  }

  // Restitution: the amount is what the chosen régie still holds, until the teacher types
  // another one; it follows the régie chosen, and a régie holding nothing proposes nothing.
  function prefillRestitution() {
    const proposed = montant.dataset.rkPropose;
    const untouched = !montant.value || montant.value === proposed;
    if (type.value !== "regie-restitution") {
      if (proposed !== undefined && montant.value === proposed) montant.value = "";
      delete montant.dataset.rkPropose;
      return;
    }
    if (!untouched) return;
    const reste = cents(regie.selectedOptions[0]?.dataset.rkReste);
    montant.value = reste > 0 ? eur(reste).replace(/[\s\u00a0\u202f]*€$/, "") : "";
    montant.dataset.rkPropose = montant.value;
  }

  function chooseHeldRegie() {
    // Justifying or returning: start on a régie that holds money, not on the first of the list.
    if (!["regie-justification", "regie-restitution"].includes(type.value)) return;
    if (cents(regie.selectedOptions[0]?.dataset.rkReste) > 0) return;
    const held = [...regie.options].find((o) => !o.disabled && cents(o.dataset.rkReste) > 0);
    if (held) regie.value = held.value;
  }

  function renumber() {
    [...lignes.querySelectorAll("[data-rk-ligne]")].forEach((line, i) => {
      const n = i + 1;
      const [select, input] = [line.querySelector("select"), line.querySelector("input")];
      const [labelCompte, labelMontant] = line.querySelectorAll("label");
      select.id = `rk-compte-${n}`; labelCompte.htmlFor = select.id;
      input.id = `rk-ventilation-${n}`; labelMontant.htmlFor = input.id;
      line.querySelector("[data-rk-error]").dataset.rkError = `ventilation-${n}`;
    });
  }

  /** The live line says what the server will say: green only when it would accept. */
  function check() {
    controle.textContent = "";
    controle.className = "";
    if (!["recette", "depense", "regie-justification"].includes(type.value)) return;
    const total = cents(montant.value);
    const lines = [...lignes.querySelectorAll("[data-rk-ligne]")];
    const amounts = lines.map((l) => l.querySelector("input").value.trim());
    if (!montant.value.trim() && amounts.every((a) => !a)) return;
    const red = (text) => { controle.className = "rk-ligne-rouge"; controle.textContent = text; };
    if (total === null) { red(montant.value.trim() ? "Montant illisible : écrivez par exemple 45,20." : "Indiquez le montant de l'opération."); return; }
    if (total < 0) { red("Le montant s'écrit sans signe moins : le type d'opération dit le sens."); return; }
    if (total === 0) { red("Le montant ne peut pas être nul."); return; }
    const used = lines.filter((l, i) => l.querySelector("select").value || amounts[i]);
    if (!used.length) {
      red(`Ventilez l'opération : choisissez au moins un compte ${type.value === "recette" ? "de produits (7…)" : "de charges (6…)"}.`);
      return;
    }
    let sum = 0;
    for (const [i, line] of used.entries()) {
      const n = lines.indexOf(line) + 1;
      if (!line.querySelector("select").value) { red(`Ligne ${n} : choisissez un compte dans la liste.`); return; }
      const text = amounts[n - 1];
      if (used.length === 1 && !text) { sum = total; continue; }
      const c = cents(text);
      if (c === null) { red(`Ligne ${n} : ${text ? "montant illisible, écrivez par exemple 45,20" : "indiquez son montant"}.`); return; }
      if (c <= 0) { red(`Ligne ${n} : ${c < 0 ? "le montant s'écrit sans signe moins" : "le montant ne peut pas être nul"}.`); return; }
      sum += c;
    }
    if (sum === total) {
      controle.className = "rk-ligne-verte";
      controle.textContent = `Ventilation complète : ${eur(sum)}.`;
    } else {
      const diff = total - sum;
      red(`Ventilation ${eur(sum)} pour un montant de ${eur(total)} : ${diff > 0 ? `il manque ${eur(diff)}` : `${eur(-diff)} de trop`}.`);
    }
  }

  function remiseTotal() {
    const out = form.querySelector("[data-rk-remise-total]");
    if (!out) return;
    let sum = 0;
    for (const box of form.querySelectorAll("[data-rk-cheque-montant]")) if (box.checked) sum += cents(box.dataset.rkChequeMontant);
    out.textContent = eur(sum);
  }

  form.querySelector("[data-rk-ajouter]").addEventListener("click", () => {
    const first = lignes.querySelector("[data-rk-ligne]");
    const line = first.cloneNode(true);
    line.querySelector("select").value = "";
    line.querySelector("input").value = "";
    line.querySelector("[data-rk-error]").textContent = "";
    lignes.append(line);
    renumber();
    line.querySelector("select").focus();
    check();
  });
  lignes.addEventListener("click", (event) => {
    const button = event.target.closest("[data-rk-retirer]");
    if (!button) return;
    const all = lignes.querySelectorAll("[data-rk-ligne]");
    if (all.length > 1) button.closest("[data-rk-ligne]").remove();
    else { all[0].querySelector("select").value = ""; all[0].querySelector("input").value = ""; }
    renumber();
    check();
  });
  lignes.addEventListener("input", check);
  montant.addEventListener("input", check);
  type.addEventListener("change", () => { suggest(); chooseHeldRegie(); show(); });
  sens.addEventListener("change", () => { suggest(); show(); });
  banque?.addEventListener("change", show);
  mode.addEventListener("change", show);
  regie.addEventListener("change", show);
  form.addEventListener("change", (event) => { if (event.target.matches("[data-rk-cheque-montant]")) remiseTotal(); });
  if (!correcting) chooseHeldRegie();
  bindForm(form, () => {
    const url = new URL(window.location.href);
    url.searchParams.delete("modifier");
    url.searchParams.set("type", type.value);
    return url.toString();
  });
  show();
  remiseTotal();
}

// -- Cahier ------------------------------------------------------------------------------
function initCahier(root) {
  const rows = [...root.querySelectorAll("[data-rk-ligne-cahier]")];
  const filters = [...root.querySelectorAll("[data-rk-filtre]")];
  const counter = root.querySelector("[data-rk-compte]");
  function apply() {
    const f = Object.fromEntries(filters.map((el) => [el.dataset.rkFiltre, el.value.trim().toLowerCase()]));
    let shown = 0;
    for (const row of rows) {
      const visible = (!f.texte || row.dataset.texte.includes(f.texte)) && (!f.mois || row.dataset.mois === f.mois)
        && (!f.type || row.dataset.type === f.type) && (!f.justificatif || row.dataset.justificatif === f.justificatif);
      row.hidden = !visible;
      if (visible) shown += 1;
    }
    if (counter) counter.textContent = `${shown} opération(s) affichée(s) sur ${rows.length}.`;
  }
  for (const el of filters) el.addEventListener(el.tagName === "SELECT" ? "change" : "input", apply);
  root.querySelector("[data-rk-filtres]")?.addEventListener("submit", (e) => e.preventDefault());
  root.querySelector("[data-rk-imprimer]")?.addEventListener("click", () => window.print());
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-rk-supprimer]");
    if (!button) return;
    if (!window.confirm(`Supprimer l'opération ${button.dataset.rkPiece} ? Elle restera visible dans l'historique.`)) return;
    const body = new FormData();
    body.set("id", button.dataset.rkSupprimer);
    const result = await post(button.dataset.rkUrl, body);
    const flash = root.querySelector("[data-rk-flash]");
    if (result.ok) await refresh(`${result.message}`, undefined, result.avertissements);
    else if (flash) { flash.textContent = Object.values(result.erreurs || {}).join(" "); flash.className = "rk-message rk-echec"; }
  });
  apply();
}

// -- Pointage ----------------------------------------------------------------------------
function initPointage(root) {
  const form = root.querySelector("form[data-rk-form]");
  const solde = form.querySelector("[data-rk-solde-releve]");
  const out = form.querySelector("[data-rk-ecart-pointage]");
  const save = form.querySelector("[data-rk-enregistrer-pointage]");
  const before = cents(form.dataset.rkDejaPointe) ?? 0;
  const rows = [...form.querySelectorAll("[data-rk-a-pointer]")];
  function update() {
    let ticked = 0;
    const remaining = { entrees: [], sorties: [] };
    for (const row of rows) {
      const amount = cents(row.dataset.montant);
      if (row.querySelector("input").checked) ticked += amount;
      else remaining[amount > 0 ? "entrees" : "sorties"].push(row.dataset.libelle);
    }
    for (const [key, items] of Object.entries(remaining)) {
      const list = form.querySelector(`[data-rk-reste="${key}"]`);
      list.replaceChildren(...(items.length ? items : ["aucun"]).map((t) => Object.assign(document.createElement("li"), { textContent: t })));
    }
    const balance = cents(solde.value);
    if (balance === null) { out.textContent = solde.value ? "solde illisible" : "—"; out.className = ""; save.disabled = true; return; }
    const gap = balance - before - ticked;
    out.textContent = eur(gap);
    out.className = gap === 0 ? "rk-ligne-verte" : "rk-ecart";
    save.disabled = gap !== 0;
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  bindForm(form);
  update();
  initImport(root);
}

// -- Arrêté de caisse --------------------------------------------------------------------
function initImport(root) {
  const form = root.querySelector("form[data-rk-import]");
  if (!form) return;
  const out = form.querySelector("[data-rk-import-plan]");
  const etape = form.querySelector('[name="etape"]');
  const statut = form.querySelector("[data-rk-import-statut]");
  form.querySelector('[name="fichier"]').addEventListener("change", () => { out.innerHTML = ""; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter;
    etape.value = button?.dataset.rkEtape || "lire";
    clearErrors(form);
    if (button) button.disabled = true;
    statut.textContent = etape.value === "lire" ? (form.dataset.rkLecture || "Lecture du relevé…")
      : (form.dataset.rkEcriture || "Enregistrement du relevé…");
    const result = await post(form.action, new FormData(form));
    if (button) button.disabled = false;
    statut.textContent = "";
    if (!result.ok) {
      showErrors(form, result.erreurs || {});
      return;
    }
    if (result.html !== undefined) {
      out.innerHTML = result.html;
      out.querySelector("h4")?.focus();
      return;
    }
    await refresh(result.message, result.suite ? new URL(result.suite, window.location.href).href : undefined,
                  result.avertissements);
  });
}

function initCaisse(root) {
  const form = root.querySelector("form[data-rk-form]");
  const bookCell = form.querySelector("[data-rk-solde-livre]");
  const verdict = form.querySelector("[data-rk-verdict]");
  const deja = form.querySelector("[data-rk-deja]");
  const save = form.querySelector("[data-rk-enregistrer-caisse]");
  const withGap = form.querySelector("[data-rk-avec-ecart]");
  const gapHelp = form.querySelector("[data-rk-ecart-aide]");
  const gapError = form.querySelector('[data-rk-error="ecart"]');
  let book = cents(bookCell.dataset.rkSoldeLivre);
  function update() {
    let total = 0;
    let typed = false;
    for (const input of form.querySelectorAll("[data-rk-coupure]")) {
      typed = typed || input.value.trim() !== "";
      const n = /^\d+$/.test(input.value) ? Number(input.value) : 0;
      const sub = Math.round(n * Number(input.dataset.rkCoupure) * 100);
      input.closest("tr").querySelector("[data-rk-sous-total]").textContent = eur(sub);
      total += sub;
    }
    form.querySelector("[data-rk-total-caisse]").textContent = eur(total);
    let gap = false;
    if (deja.textContent) { verdict.className = ""; verdict.textContent = ""; }
    else if (!typed || book === null) { verdict.className = ""; verdict.textContent = ""; }  // nothing counted yet: no verdict
    else if (total === book) { verdict.className = "rk-bravo"; verdict.textContent = "Bravo ! La caisse est juste."; }
    else {
      gap = true;
      verdict.className = "rk-ecart";
      verdict.textContent = `Écart de ${eur(total - book)} : ${total > book ? "il y a plus d'argent que dans les comptes" : "il manque de l'argent par rapport aux comptes"}. Recomptez, ou cherchez une opération oubliée.`;
    }
    if (!gap) gapError.textContent = "";
    save.disabled = Boolean(deja.textContent);
    if (withGap) {
      withGap.classList.toggle("rk-cache", !gap);
      gapHelp.classList.toggle("rk-cache", !gap);
      withGap.textContent = gap ? `Enregistrer l'arrêté et l'écart de caisse de ${eur(total - book)}` : "Enregistrer l'arrêté et l'écart de caisse";
    }
  }
  const date = form.querySelector("[data-rk-date-caisse]");
  let asked = date.value;
  async function dateChanged() {
    if (date.value === asked) return;
    asked = date.value;
    const url = new URL(form.dataset.rkSoldeUrl, window.location.href);
    url.searchParams.set("date", date.value);
    if (!date.value.trim()) { book = null; bookCell.textContent = "—"; deja.textContent = ""; update(); return; }
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.status === 401) { toLogin(); return; }
    const result = await response.json();
    if (date.value !== asked) return;  // typed again meanwhile: that answer is the one that counts
    if (result.ok) { book = cents(result.solde); bookCell.textContent = eur(book); deja.textContent = result.deja || ""; }
    else { book = null; bookCell.textContent = "—"; deja.textContent = ""; }
    update();
  }
  date.addEventListener("change", dateChanged);
  form.addEventListener("input", update);
  bindForm(form);
  update();
}

// -- Fin d'exercice, Adhésion: every form posts and reloads; the year selector navigates ------
function initForms(root) {
  root.querySelectorAll("form[data-rk-form]").forEach((form) => bindForm(form));
  root.querySelectorAll("select[data-rk-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
}

function initAdhesion(root) {
  initForms(root);
  const form = root.querySelector("form[data-rk-declaration]");
  if (!form) return;
  const rates = JSON.parse(form.dataset.rkTarifs || "null");
  const out = root.querySelector("[data-rk-total-adhesion]");
  if (!rates || !out) return;
  const euro = (v) => v.toLocaleString("fr-FR", { style: "currency", currency: "EUR" });
  const round = (v) => Math.round(v * 100) / 100;
  function update() {
    let pupils = 0;
    let adults = 0;
    form.querySelectorAll('[name="eleves"]').forEach((i) => { pupils += parseInt(i.value, 10) || 0; });
    form.querySelectorAll('[name="adultes"]').forEach((i) => { adults += parseInt(i.value, 10) || 0; });
    const goods = cents(form.querySelector('[name="biens"]').value || "0") / 100 || 0;
    const extra = cents(form.querySelector('[name="participation"]').value || "0") / 100 || 0;
    let total = round(pupils * rates.eleve) + round(adults * rates.adulte) + round((pupils + adults) * rates.assurance);
    total += round(Math.max(goods - rates.seuil_biens, 0) * rates.coefficient_biens);
    if (form.querySelector('[name="revue"]').checked) total += rates.revue;
    total += extra;
    out.textContent = `${pupils + adults} membres : ${euro(round(total))}`;
  }
  form.addEventListener("input", update);
  update();
}

// -- Guide: each title opens its answer; an address with #section opens that one ---------------
function initGuide(root) {
  function openTarget() {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id && root.querySelector(`details[id="${CSS.escape(id)}"]`);
    if (!target) return;
    target.open = true;
    target.scrollIntoView();
    target.querySelector("summary")?.focus();
  }
  root.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#"]');
    if (!link) return;
    const target = root.querySelector(`details[id="${CSS.escape(link.getAttribute("href").slice(1))}"]`);
    if (!target) return;
    event.preventDefault();
    window.history.replaceState(null, "", link.getAttribute("href"));
    openTarget();
  });
  openTarget();
}

// -- État des actions: tables sorted by a click on their column's title ------------------
function sortKey(cell) {
  return cell.dataset.valeur !== undefined ? cell.dataset.valeur : cell.textContent.trim();
}
function compareKeys(a, b) {
  const x = Number(a), y = Number(b);
  if (a !== "" && b !== "" && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return a.localeCompare(b, "fr", { numeric: true });
}
function initSortable(root) {
  root.querySelectorAll("table[data-rk-triable]").forEach((table) => {
    table.querySelectorAll("[data-rk-tri]").forEach((button) => {
      button.addEventListener("click", () => {
        const column = Number(button.dataset.rkTri);
        const ascending = button.dataset.sens !== "asc";
        table.querySelectorAll("[data-rk-tri]").forEach((b) => {
          if (b !== button) { delete b.dataset.sens; b.closest("th").removeAttribute("aria-sort"); }
        });
        button.dataset.sens = ascending ? "asc" : "desc";
        button.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort((a, b) => compareKeys(sortKey(a.cells[column]), sortKey(b.cells[column])) * (ascending ? 1 : -1));
        rows.forEach((row) => body.appendChild(row));
      });
    });
  });
}
function initActions(root) {
  initForms(root);
  initSortable(root);
}

const PAGES = {
  saisie: initSaisie, cahier: initCahier, pointage: initPointage, caisse: initCaisse,
  fin: initForms, adhesion: initAdhesion, tableau: initForms, inventaire: initForms, actions: initActions,
  demandes: initForms, reprise: initImport, guide: initGuide,
};

// Fava's "Aide" (its English help pages) leads to our guide for the mandataire: the link is
// rewritten before Fava's router reads it (capture phase), so the guide opens in place.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!link) return;
  const url = new URL(link.href, window.location.href);
  const help = /^(.*)\/help(\/[^/]*)?$/.exec(url.pathname);
  if (!help || url.origin !== window.location.origin) return;
  link.setAttribute("href", `${help[1]}/extension/Guide/`);
}, true);

function initPage() {
  const root = document.querySelector("[data-rk-page]");
  if (!root || root.dataset.rkReady) return;
  root.dataset.rkReady = "1";
  PAGES[root.dataset.rkPage]?.(root);
}

export default {
  onPageLoad() {
    initPage();
  },
};
