// Sortable, filterable tables of the portal (no dependency).
document.querySelectorAll("[data-filtre]").forEach((input) => {
  const table = document.getElementById(input.dataset.filtre);
  input.addEventListener("input", () => {
    const needle = input.value.trim().toLowerCase();
    table.querySelectorAll("tbody tr").forEach((row) => {
      row.hidden = needle !== "" && !row.textContent.toLowerCase().includes(needle);
    });
  });
});
document.querySelectorAll("table.triable").forEach((table) => {
  table.querySelectorAll("[data-tri]").forEach((button) => {
    button.addEventListener("click", () => {
      const column = Number(button.dataset.tri);
      const ascending = button.dataset.sens !== "asc";
      button.dataset.sens = ascending ? "asc" : "desc";
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => a.cells[column].textContent.localeCompare(b.cells[column].textContent, "fr", { numeric: true }) * (ascending ? 1 : -1));
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
