// Previous/next edit on a diff page: walks the marked insertions and deletions in page order.
(function () {
  const marks = Array.from(document.querySelectorAll(".side-by-side ins.change, .side-by-side del.change"));
  const jump = document.querySelector(".jump");
  if (!marks.length || !jump) return;
  jump.hidden = false;
  let current = -1;
  function go(step) {
    if (current >= 0) marks[current].classList.remove("current");
    current = (current + step + marks.length) % marks.length;
    marks[current].classList.add("current");
    marks[current].scrollIntoView({ block: "center" });
  }
  jump.querySelectorAll("button[data-jump]").forEach(function (button) {
    button.addEventListener("click", function () { go(Number(button.dataset.jump)); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.target.closest("input, select, textarea")) return;
    if (event.key === "n") go(1);
    if (event.key === "p") go(-1);
  });
})();
