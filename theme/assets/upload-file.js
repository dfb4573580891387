/* One file through the API's upload flow: ask for a signed target (POST <api><targetPath> with
   {content_type, size} and any `fields`), POST the file to it with the target's fields (progress
   reported), then have the API verify it (POST <api>uploads/verify). Resolves to {key} or
   {error}: a Vietnamese phrase that follows the file's name ("mất kết nối mạng khi tải lên.").
   Used by the application form (apply-uploads.js), the applicant's supplement (tra-cuu-viec.js)
   and the officer's electronic result (bo-dossier.js). */

export function postJson(api, path, body, headers) {
  return fetch(api + path, {
    method: "POST",
    credentials: "same-origin",
    headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
    body: JSON.stringify(body),
  }).then((response) =>
    response
      .json()
      .catch(() => ({}))
      .then((json) => ({ status: response.status, body: json || {} })),
  );
}

// The API's own words for a refusal: the first field's message, else the message.
export function problem(reply) {
  const fields = reply.body.fields || {};
  const first = Object.keys(fields)[0];
  return (
    (first && fields[first]) || reply.body.message || `Máy chủ từ chối tệp (mã ${reply.status}).`
  );
}

const KINDS = { pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" };

// The content type to declare: the browser's, else from the extension; "" when not accepted.
function contentType(file) {
  if (file.type && Object.values(KINDS).includes(file.type)) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return KINDS[ext] || "";
}

// options: {type (default contentType(file)), fields (more of the target request's body),
// headers, progress(percent)}
export function uploadFile(api, targetPath, file, options) {
  const o = options || {},
    type = o.type || contentType(file);
  if (!type) return Promise.resolve({ error: "chỉ nhận tệp PDF, JPG hoặc PNG." });
  const body = Object.assign({}, o.fields || {}, { content_type: type, size: file.size });
  return postJson(api, targetPath, body, o.headers).then(
    (reply) => {
      if (reply.status !== 200) return { error: problem(reply) };
      const target = reply.body,
        form = new FormData();
      Object.keys(target.fields || {}).forEach((k) => {
        form.append(k, target.fields[k]);
      });
      form.append("file", file, file.name);
      return new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", target.url);
        xhr.upload.onprogress = (event) => {
          if (event.lengthComputable && o.progress) {
            o.progress(Math.min(99, Math.round((event.loaded / event.total) * 100)));
          }
        };
        xhr.onerror = () => resolve({ error: "mất kết nối mạng khi tải lên." });
        xhr.onload = () => {
          if (xhr.status < 200 || xhr.status >= 300) {
            let answer = {};
            try {
              answer = JSON.parse(xhr.responseText) || {};
            } catch (_e) {
              answer = {};
            }
            resolve({ error: problem({ status: xhr.status, body: answer }) });
            return;
          }
          postJson(api, "uploads/verify", { key: target.key }, o.headers).then(
            (verified) => {
              resolve(verified.status === 200 ? { key: target.key } : { error: problem(verified) });
            },
            () => resolve({ error: "mất kết nối mạng khi kiểm tra tệp." }),
          );
        };
        xhr.send(form);
      });
    },
    () => ({ error: "mất kết nối mạng." }),
  );
}
