// The script and style embedded in every flame graph SVG. Written for this
// project: zoom, search and hover work on the frames' count-space positions
// (data-x, data-w), so zooming deep stays exact.
#include "report/flamegraph.h"

namespace bpfscope::report {

const char* const kFlameGraphStyle = R"CSS(
#title { text-anchor: middle; font-size: 17px; }
#subtitle { text-anchor: middle; fill: rgb(160,160,160); }
#frames > g { cursor: pointer; }
#frames > g:hover > rect { stroke: rgb(0,0,0); stroke-width: 0.5; }
#frames text { pointer-events: none; }
#unzoom, #search, #ignorecase { cursor: pointer; }
#search, #ignorecase { opacity: 0.1; }
#search:hover, #search.show, #ignorecase:hover, #ignorecase.show { opacity: 1; }
#matched { text-anchor: end; }
.hide { display: none; }
.parent { opacity: 0.5; }
)CSS";

const char* const kFlameGraphScript = R"JS(
"use strict";
var fgFrames = [];       // {g, rect, text, name, x, w, y, fill}
var fgDetails, fgUnzoom, fgSearch, fgIgnoreCase, fgMatched;
var fgZoomed = null;     // the frame zoomed into, or null
var fgSearchTerm = null; // current search, or null
var fgIgnoreCaseOn = false;

function fgInit(evt) {
  fgDetails = document.getElementById("details").firstChild;
  fgUnzoom = document.getElementById("unzoom");
  fgSearch = document.getElementById("search");
  fgIgnoreCase = document.getElementById("ignorecase");
  fgMatched = document.getElementById("matched");
  var groups = document.getElementById("frames").children;
  for (var i = 0; i < groups.length; i++) {
    var g = groups[i];
    var rect = g.getElementsByTagName("rect")[0];
    var title = g.getElementsByTagName("title")[0].textContent;
    var frame = {
      g: g, rect: rect, text: g.getElementsByTagName("text")[0],
      name: title.substring(0, title.lastIndexOf(" (")), title: title,
      x: parseFloat(g.getAttribute("data-x")), w: parseFloat(g.getAttribute("data-w")),
      y: rect.getAttribute("y"), fill: rect.getAttribute("fill")
    };
    g.fgFrame = frame;
    fgFrames.push(frame);
  }
  var frames = document.getElementById("frames");
  frames.addEventListener("click", function (e) {
    var frame = fgFrameOf(e.target);
    if (frame) fgZoom(frame, true);
  });
  frames.addEventListener("mouseover", function (e) {
    var frame = fgFrameOf(e.target);
    if (frame) fgDetails.nodeValue = fgConfig.nameType + " " + frame.title;
  });
  frames.addEventListener("mouseout", function () { fgDetails.nodeValue = " "; });
  fgUnzoom.addEventListener("click", function () { fgResetZoom(true); });
  fgSearch.addEventListener("click", function () {
    if (fgSearchTerm !== null) { fgResetSearch(true); return; }
    var term = prompt("Search frames (regular expression)", "");
    if (term) fgSearchFor(term, true);
  });
  fgIgnoreCase.addEventListener("click", function () { fgToggleIgnoreCase(true); });
  window.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); fgSearch.dispatchEvent(new Event("click")); }
    else if (e.key === "Escape") { fgResetZoom(true); fgResetSearch(true); }
  });
  // Restore the state a reload or a shared link carries in the URL.
  var params = fgParams();
  if (params.get("ic") === "1") fgToggleIgnoreCase(false);
  if (params.get("x") !== null && params.get("y") !== null) {
    var x = parseFloat(params.get("x")), y = params.get("y");
    for (var j = 0; j < fgFrames.length; j++) {
      if (fgFrames[j].x === x && fgFrames[j].y === y) { fgZoom(fgFrames[j], false); break; }
    }
  }
  if (params.get("s")) fgSearchFor(params.get("s"), false);
}

function fgFrameOf(node) {
  while (node && node.fgFrame === undefined) node = node.parentNode;
  return node ? node.fgFrame : null;
}

function fgParams() {
  try { return new URLSearchParams(window.location.search); }
  catch (e) { return { get: function () { return null; } }; }
}

// Keeps zoom and search in the URL so they survive a reload.
function fgSetParams(changes) {
  try {
    var url = new URL(window.location.href);
    for (var key in changes) {
      if (changes[key] === null) url.searchParams.delete(key);
      else url.searchParams.set(key, changes[key]);
    }
    history.replaceState(null, "", url.toString());
  } catch (e) { /* file: URLs in some browsers refuse replaceState */ }
}

function fgLabel(frame, widthPx) {
  var fits = Math.floor((widthPx - 3) / (fgConfig.fontSize * fgConfig.fontWidth));
  if (fits < 3) return "";
  var chars = Array.from(frame.name);
  if (chars.length <= fits) return frame.name;
  return chars.slice(0, fits - 2).join("") + "..";
}

function fgPlace(frame, x, w) {
  frame.rect.setAttribute("x", x.toFixed(1));
  frame.rect.setAttribute("width", w.toFixed(1));
  frame.text.setAttribute("x", (x + 3).toFixed(1));
  frame.text.textContent = fgLabel(frame, w);
}

// Zooms so that `target` fills the width: frames above it (its subtree) are
// scaled, frames below it (its ancestors) span the width and are dimmed,
// everything else is hidden.
function fgZoom(target, updateUrl) {
  var drawable = fgConfig.width - 2 * fgConfig.pad;
  var scale = drawable / target.w;
  var targetY = parseFloat(target.y);
  var epsilon = target.w * 1e-9;
  for (var i = 0; i < fgFrames.length; i++) {
    var f = fgFrames[i];
    var y = parseFloat(f.y);
    var subtreeSide = fgConfig.inverted ? y > targetY : y < targetY;
    var ancestorSide = fgConfig.inverted ? y < targetY : y > targetY;
    f.g.classList.remove("hide");
    f.g.classList.remove("parent");
    if (f === target) {
      fgPlace(f, fgConfig.pad, drawable);
    } else if (subtreeSide && f.x >= target.x - epsilon && f.x + f.w <= target.x + target.w + epsilon) {
      fgPlace(f, fgConfig.pad + (f.x - target.x) * scale, f.w * scale);
    } else if (ancestorSide && f.x <= target.x + epsilon && f.x + f.w >= target.x + target.w - epsilon) {
      f.g.classList.add("parent");
      fgPlace(f, fgConfig.pad, drawable);
    } else {
      f.g.classList.add("hide");
    }
  }
  fgZoomed = target;
  fgUnzoom.classList.remove("hide");
  if (updateUrl) fgSetParams({ x: String(target.x), y: target.y });
}

function fgResetZoom(updateUrl) {
  var scale = (fgConfig.width - 2 * fgConfig.pad) / fgConfig.total;
  for (var i = 0; i < fgFrames.length; i++) {
    var f = fgFrames[i];
    f.g.classList.remove("hide");
    f.g.classList.remove("parent");
    fgPlace(f, fgConfig.pad + f.x * scale, f.w * scale);
  }
  fgZoomed = null;
  fgUnzoom.classList.add("hide");
  if (updateUrl) fgSetParams({ x: null, y: null });
}

function fgToggleIgnoreCase(updateUrl) {
  fgIgnoreCaseOn = !fgIgnoreCaseOn;
  if (fgIgnoreCaseOn) fgIgnoreCase.classList.add("show");
  else fgIgnoreCase.classList.remove("show");
  if (updateUrl) fgSetParams({ ic: fgIgnoreCaseOn ? "1" : null });
  if (fgSearchTerm !== null) fgSearchFor(fgSearchTerm, updateUrl);
}

// Highlights frames whose name matches the regular expression and reports
// the share of the total they cover (nested matches counted once).
function fgSearchFor(term, updateUrl) {
  var re;
  try { re = new RegExp(term, fgIgnoreCaseOn ? "i" : ""); }
  catch (e) { fgMatched.textContent = "Invalid regex: " + term; return; }
  var spans = [];
  for (var i = 0; i < fgFrames.length; i++) {
    var f = fgFrames[i];
    if (re.test(f.name)) {
      f.rect.setAttribute("fill", "rgb(230,0,230)");
      spans.push([f.x, f.x + f.w]);
    } else {
      f.rect.setAttribute("fill", f.fill);
    }
  }
  spans.sort(function (a, b) { return a[0] - b[0]; });
  var covered = 0, end = -Infinity;
  for (var k = 0; k < spans.length; k++) {
    if (spans[k][0] >= end) { covered += spans[k][1] - spans[k][0]; end = spans[k][1]; }
    else if (spans[k][1] > end) { covered += spans[k][1] - end; end = spans[k][1]; }
  }
  var percent = fgConfig.total > 0 ? 100 * covered / fgConfig.total : 0;
  fgMatched.textContent = "Matched: " + percent.toFixed(1) + "%";
  fgSearchTerm = term;
  fgSearch.classList.add("show");
  fgSearch.textContent = "Reset Search";
  if (updateUrl) fgSetParams({ s: term });
}

function fgResetSearch(updateUrl) {
  for (var i = 0; i < fgFrames.length; i++) fgFrames[i].rect.setAttribute("fill", fgFrames[i].fill);
  fgSearchTerm = null;
  fgMatched.textContent = " ";
  fgSearch.classList.remove("show");
  fgSearch.textContent = "Search";
  if (updateUrl) fgSetParams({ s: null });
}
)JS";

}  // namespace bpfscope::report
