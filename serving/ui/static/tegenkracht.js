// Tegenkracht pages: small, optional enhancements. Every page works without this script.
"use strict";

// Sortable tables: each heading with data-type becomes a button; the heading's aria-sort says the order,
// so a screen reader announces it. Rows keep their own values in data-value (numbers sort as numbers).
function makeSortable(table) {
  const headings = Array.from(table.tHead.rows[0].cells);
  headings.forEach((th, column) => {
    const type = th.dataset.type;
    if (!type) return;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent.trim();
    th.textContent = "";
    th.appendChild(button);
    if (!th.hasAttribute("aria-sort")) th.setAttribute("aria-sort", "none");
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headings.forEach((other) => { if (other.dataset.type) other.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const key = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent;
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        const order = type === "number" ? Number(x) - Number(y) : x.localeCompare(y, document.documentElement.lang);
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(makeSortable);
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
