// Sortable, filterable tables of the portal (no dependency).
// A cell's data-valeur (ISO date, number) is its sort key; otherwise its text.
document.querySelectorAll("[data-filtre]").forEach((input) => {
  const table = document.getElementById(input.dataset.filtre);
  input.addEventListener("input", () => {
    const needle = input.value.trim().toLowerCase();
    table.querySelectorAll("tbody tr").forEach((row) => {
      row.hidden = needle !== "" && !row.textContent.toLowerCase().includes(needle);
    });
  });
});
function sortKey(cell) {
  return cell.dataset.valeur !== undefined ? cell.dataset.valeur : cell.textContent.trim();
}
function compare(a, b) {
  const x = Number(a), y = Number(b);
  if (a !== "" && b !== "" && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return a.localeCompare(b, "fr", { numeric: true });
}
document.querySelectorAll("table.triable").forEach((table) => {
  table.querySelectorAll("[data-tri]").forEach((button) => {
    button.addEventListener("click", () => {
      const column = Number(button.dataset.tri);
      const ascending = button.dataset.sens !== "asc";
      table.querySelectorAll("[data-tri]").forEach((b) => { if (b !== button) delete b.dataset.sens; });
      button.dataset.sens = ascending ? "asc" : "desc";
      button.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => compare(sortKey(a.cells[column]), sortKey(b.cells[column])) * (ascending ? 1 : -1));
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
document.querySelectorAll("[data-confirm]").forEach((button) => {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
});
// While the dashboard is computed: follow the progress, reload when done.
const progress = document.querySelector("[data-progression]");
if (progress) {
  const tick = async () => {
    try {
      const state = await (await fetch(progress.dataset.progression, { credentials: "same-origin" })).json();
      progress.querySelector("[data-fait]").textContent = state.fait;
      progress.querySelector("[data-total]").textContent = state.total;
      const bar = progress.querySelector("progress");
      bar.max = state.total || 1; bar.value = state.fait;
      if (!state.en_cours) { window.location.reload(); return; }
    } catch (e) { /* try again */ }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}
