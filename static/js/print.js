// The Print button of printable pages (the session-safety checklist). Without JavaScript the
// button stays hidden and the browser's own Print command prints the same page.
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
