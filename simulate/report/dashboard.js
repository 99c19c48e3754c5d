// Sortable tables: click a column header to sort (numbers numerically), again to reverse.
(function () {
  "use strict";
  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) { return { num: NaN, text: "" }; }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    var num = raw === "" ? NaN : Number(raw);
    return { num: num, text: (cell.textContent || "").trim().toLowerCase() };
  }
  function compare(a, b) {
    var aNum = !isNaN(a.num), bNum = !isNaN(b.num);
    if (aNum && bNum) { return a.num - b.num; }
    if (aNum !== bNum) { return aNum ? -1 : 1; }
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  }
  function sortBy(table, header, index) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, i) { return { row: row, key: cellKey(row, index), i: i }; });
    keyed.sort(function (a, b) {
      var aMissing = isNaN(a.key.num) && a.key.text === "", bMissing = isNaN(b.key.num) && b.key.text === "";
      if (aMissing !== bMissing) { return aMissing ? 1 : -1; }
      var c = compare(a.key, b.key);
      return (ascending ? c : -c) || a.i - b.i;
    });
    keyed.forEach(function (k) { body.appendChild(k.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  function init() {
    var tables = document.querySelectorAll("table.sortable");
    Array.prototype.forEach.call(tables, function (table) {
      if (!table.tHead || !table.tBodies.length) { return; }
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
        var button = th.querySelector("button");
        if (!button) { return; }
        th.setAttribute("aria-sort", "none");
        button.addEventListener("click", function () { sortBy(table, th, index); });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
