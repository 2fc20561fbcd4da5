/**
 * The status page's script, inlined in the page and allowed by its SHA-256
 * hash in the Content-Security-Policy.
 *
 * It is plain browser JavaScript kept as a string (not compiled from this
 * module), so that its text, and so its hash, is the same on every runtime
 * and bundler. It renders only through `textContent`, `createElement` and
 * attributes it computes itself: text from the server (a destination name,
 * a platform's error that quotes an event field) never becomes markup. The
 * policy's `require-trusted-types-for 'script'` makes a browser that knows
 * Trusted Types refuse any HTML sink anyway.
 *
 * @module
 */

/** The JavaScript of `GET /status`, without its `<script>` tags. */
export const STATUS_PAGE_SCRIPT: string = `
"use strict";
(function () {
  var HISTORY_MS = 10 * 60 * 1000;
  var SVG = "http://www.w3.org/2000/svg";
  var HEALTH = ["delivering", "backing_off", "failing", "disabled"];
  var OVERALL = ["ok", "degraded", "failing"];

  // The token comes from the fragment (#token=...), which browsers never
  // send to the server, or from the form; it is kept in memory only and
  // taken out of the address bar at once.
  // Read with decodeURIComponent, not URLSearchParams: a "+" of a token is
  // a plus, not a space.
  var fragment = {};
  var parts = location.hash ? location.hash.slice(1).split("&") : [];
  var kept = [];
  parts.forEach(function (part) {
    var at = part.indexOf("=");
    var key = at < 0 ? part : part.slice(0, at);
    if (key !== "token") kept.push(part);
    try { fragment[key] = decodeURIComponent(part.slice(at + 1)); } catch (error) { /* not URI-encoded */ }
  });
  var token = fragment.token || "";
  var refreshSeconds = Number(fragment.refresh);
  if (!(refreshSeconds >= 1 && refreshSeconds <= 300)) refreshSeconds = 5;
  if (kept.length < parts.length) {
    history.replaceState(null, "", location.pathname + location.search + (kept.join("&") ? "#" + kept.join("&") : ""));
  }

  var samples = [];
  var refreshes = 0;
  var timer;

  function byId(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    for (var name in attributes) node.setAttribute(name, String(attributes[name]));
    return node;
  }

  function oneOf(value, allowed, fallback) {
    return allowed.indexOf(value) >= 0 ? value : fallback;
  }

  function count(value) {
    return typeof value === "number" && isFinite(value) ? value.toLocaleString("en-US") : "-";
  }

  function rate(value) {
    if (value === undefined) return "collecting";
    return (value >= 100 ? value.toFixed(0) : value.toFixed(1)) + "/min";
  }

  function ago(iso) {
    var at = Date.parse(iso);
    if (!isFinite(at)) return "";
    var seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
    var when = seconds < 60 ? seconds + " s ago"
      : seconds < 3600 ? Math.round(seconds / 60) + " min ago"
      : Math.round(seconds / 3600) + " h ago";
    return new Date(at).toISOString().replace("T", " ").slice(0, 19) + " UTC (" + when + ")";
  }

  async function getJson(path, withToken) {
    var headers = { Accept: "application/json" };
    if (withToken && token) headers.Authorization = "Bearer " + token;
    var response = await fetch(new URL(path, location.href), {
      headers: headers, cache: "no-store", credentials: "omit", redirect: "error",
    });
    var body;
    try { body = await response.json(); } catch (error) { body = undefined; }
    return { status: response.status, body: body };
  }

  // The per-minute rate of a counter between consecutive samples, as
  // [time, rate] points; a counter that went down (a restart) counts 0.
  function series(pick) {
    var points = [];
    for (var i = 1; i < samples.length; i++) {
      var a = pick(samples[i - 1]);
      var b = pick(samples[i]);
      var seconds = (samples[i].t - samples[i - 1].t) / 1000;
      if (typeof a !== "number" || typeof b !== "number" || seconds <= 0) continue;
      points.push([samples[i].t, Math.max(0, b - a) / seconds * 60]);
    }
    return points;
  }

  // The per-minute rate over the last minute (or what the tab has seen of it).
  function recentRate(pick) {
    if (samples.length < 2) return undefined;
    var last = samples[samples.length - 1];
    var first = samples[samples.length - 2];
    for (var i = samples.length - 2; i >= 0 && last.t - samples[i].t <= 60000; i--) first = samples[i];
    var a = pick(first);
    var b = pick(last);
    if (typeof a !== "number" || typeof b !== "number" || last.t <= first.t) return undefined;
    return Math.max(0, b - a) / ((last.t - first.t) / 1000) * 60;
  }

  // A line of the rate over time: the x axis spans what the tab has seen,
  // up to 10 minutes; the y axis, 0 to the peak.
  function chart(kind, label, pick) {
    var points = series(pick);
    var latest = recentRate(pick);
    var figure = el("figure", "chart chart-" + kind);
    var width = 240, height = 50, top = 4;
    var max = 1;
    points.forEach(function (p) { if (p[1] > max) max = p[1]; });
    var now = samples.length ? samples[samples.length - 1].t : 0;
    var span = samples.length ? Math.min(HISTORY_MS, Math.max(1000, now - samples[0].t)) : HISTORY_MS;
    var image = svg("svg", {
      viewBox: "0 0 " + width + " " + height, class: "chart-svg", role: "img",
      "aria-label": label + " per minute over the last " + Math.ceil(span / 60000) + " min; last minute " + rate(latest),
    });
    image.appendChild(svg("rect", { class: "frame", x: 0.5, y: 0.5, width: width - 1, height: height - 1 }));
    var coordinates = points.map(function (p) {
      var x = (width - 1) - (now - p[0]) / span * (width - 2);
      var y = (height - 1) - p[1] / max * (height - 1 - top);
      return Math.max(1, x).toFixed(1) + "," + y.toFixed(1);
    });
    if (coordinates.length) {
      var firstX = coordinates[0].split(",")[0];
      var lastX = coordinates[coordinates.length - 1].split(",")[0];
      image.appendChild(svg("polygon", {
        class: "area",
        points: firstX + "," + (height - 1) + " " + coordinates.join(" ") + " " + lastX + "," + (height - 1),
      }));
    }
    image.appendChild(svg("polyline", { class: "line", points: coordinates.join(" ") }));
    var title = svg("title", {});
    title.textContent = label + ": " + rate(latest) + " over the last minute, peak " + rate(points.length ? max : undefined);
    image.appendChild(title);
    figure.appendChild(image);
    figure.appendChild(el("figcaption", "", label + ": " + rate(latest)));
    return figure;
  }

  function row(list, term, value) {
    list.appendChild(el("dt", "", term));
    list.appendChild(el("dd", "", value));
  }

  function destinationsOf(stats) {
    if (!stats) return {};
    return stats.perDestination || stats.perPlatform || {};
  }

  function renderOverall(health) {
    var overall = byId("overall");
    var status = health ? oneOf(health.status, OVERALL, "unknown") : "unknown";
    overall.className = "badge status-" + status;
    overall.textContent = health ? status : "unreachable";
    byId("capacity").textContent = health ? count(health.capacity) : "-";
  }

  function renderIngest(stats) {
    var box = byId("ingest");
    var list = el("dl");
    var ingest = stats && stats.ingest;
    row(list, "Requests to POST /events", ingest ? count(ingest.requests) + " since start" : "-");
    row(list, "Answered 202", ingest ? count(ingest.accepted) : "-");
    row(list, "Refused (4xx)", ingest ? count(ingest.refused) : "-");
    row(list, "Overloaded (503)", ingest ? count(ingest.overloaded) : "-");
    row(list, "Events accepted", stats ? count(stats.eventsAccepted) : "-");
    var charts = el("div", "charts");
    charts.appendChild(chart("requests", "Requests", function (s) { return s.requests; }));
    charts.appendChild(chart("accepted", "Events accepted", function (s) { return s.accepted; }));
    box.replaceChildren(list, charts);
  }

  function spooled(destination, stats) {
    if (destination.spool) {
      return count(destination.buffered) + " in the Deno KV spool (every instance)" +
        (destination.spool.leaseHeld ? ", delivered by this instance" : ", delivered by another instance");
    }
    if (stats && stats.queue) return count(destination.eventsReceived) + " sent to the queue";
    return "none (buffered in memory)";
  }

  function renderDestination(name, destination, health, stats) {
    var status = oneOf(health && health.status, HEALTH, "unknown");
    var card = el("article", "card destination " + status);
    card.setAttribute("data-status", status);
    var head = el("div", "card-head");
    var title = el("h3", "name", name);
    var platform = destination && destination.platform;
    if (platform) title.appendChild(el("span", "muted platform", " (" + platform + ")"));
    head.appendChild(title);
    head.appendChild(el("span", "badge status status-" + status, status.replace("_", " ")));
    card.appendChild(head);

    var list = el("dl");
    if (destination) row(list, "State", destination.state);
    row(list, "Buffered", count(destination ? destination.buffered : health && health.buffered));
    if (destination) row(list, "Spooled", spooled(destination, stats));
    row(list, "Failures in a row", count(destination ? destination.consecutiveFailures : health && health.consecutiveFailures));
    if (destination) {
      row(list, "Delivered", count(destination.eventsExported));
      row(list, "Given up", count(destination.eventsFailed));
      if (destination.spool) row(list, "Dead letters stored", count(destination.spool.deadLettersStored));
      if (destination.retryAt) row(list, "Next attempt", ago(destination.retryAt));
    } else if (health) {
      row(list, "Dead-lettered", count(health.deadLettered));
    }
    card.appendChild(list);

    if (destination) {
      if (destination.lastError) {
        var error = el("p", "error last-error", "Last error: " + destination.lastError);
        if (destination.lastErrorAt) error.appendChild(el("span", "muted", " - " + ago(destination.lastErrorAt)));
        card.appendChild(error);
      } else {
        card.appendChild(el("p", "error none last-error", "No error"));
      }
      if (destination.setupError) card.appendChild(el("p", "hint setup-error", "What to check: " + destination.setupError));
      var charts = el("div", "charts");
      charts.appendChild(chart("delivered", "Delivered", function (s) { return s.delivered[name]; }));
      charts.appendChild(chart("failed", "Given up", function (s) { return s.failed[name]; }));
      card.appendChild(charts);
    }
    return card;
  }

  function renderDestinations(health, stats) {
    var perDestination = destinationsOf(stats);
    var byHealth = (health && health.destinations) || {};
    var names = Object.keys(perDestination);
    Object.keys(byHealth).forEach(function (name) { if (names.indexOf(name) < 0) names.push(name); });
    var cards = names.map(function (name) {
      return renderDestination(name, perDestination[name], byHealth[name], stats);
    });
    if (!cards.length) cards.push(el("p", "muted", "No destination configured."));
    byId("destinations").replaceChildren.apply(byId("destinations"), cards);
  }

  function renderDeadLetters(stats) {
    var letters = [];
    var perDestination = destinationsOf(stats);
    Object.keys(perDestination).forEach(function (name) {
      (perDestination[name].recentDeadLetters || []).forEach(function (letter) {
        letters.push({ name: name, letter: letter });
      });
    });
    letters.sort(function (a, b) { return Date.parse(b.letter.at) - Date.parse(a.letter.at); });
    var rows = letters.slice(0, 25).map(function (item) {
      var tr = el("tr");
      tr.appendChild(el("td", "", ago(item.letter.at)));
      tr.appendChild(el("td", "", item.name));
      tr.appendChild(el("td", "", count(item.letter.events)));
      tr.appendChild(el("td", "", item.letter.status === undefined ? "-" : item.letter.status));
      tr.appendChild(el("td", "reason", item.letter.reason));
      return tr;
    });
    var body = byId("dead-letter-rows");
    body.replaceChildren.apply(body, rows);
    byId("dead-letters").hidden = rows.length === 0;
    byId("no-dead-letters").hidden = rows.length > 0 || !stats;
  }

  function remember(stats) {
    var sample = { t: Date.now(), requests: undefined, accepted: undefined, delivered: {}, failed: {} };
    if (stats) {
      sample.requests = stats.ingest ? stats.ingest.requests : undefined;
      sample.accepted = stats.eventsAccepted;
      var perDestination = destinationsOf(stats);
      Object.keys(perDestination).forEach(function (name) {
        sample.delivered[name] = perDestination[name].eventsExported;
        sample.failed[name] = perDestination[name].eventsFailed;
      });
    }
    samples.push(sample);
    while (samples.length > 2 && sample.t - samples[0].t > HISTORY_MS) samples.shift();
  }

  function showAuth(message) {
    byId("auth").hidden = false;
    byId("auth-message").textContent = message;
  }

  async function refresh() {
    clearTimeout(timer);
    var problem = "";
    var health, stats;
    try {
      var healthAnswer = await getJson("health", false);
      health = healthAnswer.body && healthAnswer.body.destinations ? healthAnswer.body : undefined;
      var statsAnswer = await getJson("stats", true);
      if (statsAnswer.status === 200 && statsAnswer.body) {
        stats = statsAnswer.body;
        byId("auth").hidden = true;
      } else if (statsAnswer.status === 401) {
        showAuth("This server needs its ingest token to show statistics (only health is shown until then).");
      } else if (statsAnswer.status === 403) {
        showAuth("The token was not accepted; enter another.");
      } else {
        problem = "GET stats answered " + statsAnswer.status + ".";
      }
    } catch (error) {
      problem = "Cannot reach the server: " + (error && error.message ? error.message : String(error));
    }
    remember(stats);
    renderOverall(health);
    renderIngest(stats);
    renderDestinations(health, stats);
    renderDeadLetters(stats);
    byId("problem").hidden = !problem;
    byId("problem").textContent = problem;
    refreshes++;
    document.body.setAttribute("data-refreshes", String(refreshes));
    byId("updated").textContent = "updated " + new Date().toISOString().replace("T", " ").slice(0, 19) + " UTC";
    timer = setTimeout(refresh, refreshSeconds * 1000);
  }

  byId("auth").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = byId("token");
    token = input.value.trim();
    input.value = "";
    refresh();
  });
  byId("interval").textContent = String(refreshSeconds);
  refresh();
})();
`;
