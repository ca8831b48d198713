// Files: uploads with progress (XMLHttpRequest reports it, fetch does not) and downloads as
// blobs, since an <img> cannot send the bearer token. Object URLs are cached per file and
// allowed by the CSP's `img-src blob:`.

/** @typedef {import('./api.js').Api} Api */
/** @typedef {{ id: string, file_name: string, content_type: string, size: number, has_thumbnail: boolean }} Uploaded */

/** @type {Map<string, Promise<string | null>>} */
const thumbnails = new Map();

/**
 * Uploads one file as multipart (`file`), reporting progress from 0 to 1.
 * @param {Api} api @param {File} file @param {(fraction: number) => void} progress
 * @returns {Promise<Uploaded>}
 */
export async function upload(api, file, progress) {
  const token = await api.token();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${api.base}/attachments`);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201 || xhr.status === 200) resolve(body);
      else reject(new Error(body?.detail || `Upload failed (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error('The upload was cut off.'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** @param {Api} api @param {string} path */
async function blob(api, path) {
  const response = await fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${await api.token()}` } });
  if (!response.ok) return null;
  return response;
}

/** The thumbnail's object URL, or null for a file that has none (not an image). @param {Api} api @param {string} id */
export function thumbnail(api, id) {
  let url = thumbnails.get(id);
  if (!url) {
    url = blob(api, `/attachments/${id}/thumbnail`).then(async (r) => (r ? URL.createObjectURL(await r.blob()) : null), () => null);
    thumbnails.set(id, url);
  }
  return url;
}

/** Fetches the whole file and opens it (pictures) or saves it (anything else). @param {Api} api @param {string} id */
export async function open(api, id) {
  const response = await blob(api, `/attachments/${id}`);
  if (!response) throw new Error('This file is no longer available.');
  const type = response.headers.get('content-type') || '';
  const name = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') || '')?.[1] || 'file';
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  if (type.startsWith('image/')) a.target = '_blank';
  else a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
