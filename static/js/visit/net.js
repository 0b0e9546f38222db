/* Talking to the server: a form's fields as data that can be kept, and posting them back with a fresh CSRF token. */
export function fieldsOf(form) {
  var out = [];
  new FormData(form).forEach(function (value, name) { if (typeof value === "string") out.push([name, value]); });
  return out;
}
function csrfNow() { var el = document.querySelector('input[name="csrf_token"]'); return el ? el.value : null; }
export function formDataOf(fields, files) {
  // Kept answers carry the token of the page they were typed on; the current page's is the valid one.
  var current = csrfNow();
  var data = new FormData();
  fields.forEach(function (f) { data.append(f[0], f[0] === "csrf_token" && current ? current : f[1]); });
  Object.keys(files || {}).forEach(function (name) { data.append(name, files[name].blob, files[name].filename || "photo.jpg"); });
  return data;
}
export function isJson(response) { return (response.headers.get("Content-Type") || "").indexOf("application/json") === 0; }
export function signedOut(response) { return response.redirected && /\/login$/.test(new URL(response.url).pathname); }
export function post(url, data) {
  return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (response.status >= 500 || response.status === 0) throw new Error("server " + response.status);
      return response;
    });
}
