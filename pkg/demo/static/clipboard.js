// Copying a link. The Clipboard API needs a secure page and the user's gesture, and some
// in-app browsers refuse it all the same: then the old way is tried (a text field out of
// sight, and the copy command), and failing that the page shows the link to copy by hand.

// copyText puts text on the clipboard and tells whether either way worked.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return copyTheOldWay(text);
  }
}

function copyTheOldWay(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.readOnly = true;
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

// selectText selects what node says, ready for the user to copy.
export function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
