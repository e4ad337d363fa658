/*
 * Shutterproof delivery: the service worker that turns sealed files into downloads. The
 * page hands it a job (the delivery key, which files, a port to report on) and then
 * navigates to `<link>/dl/<job id>`; this worker answers that request with a stream that
 * fetches the sealed file from the share server, decrypts it chunk by chunk and goes
 * straight to the browser's download, so memory stays bounded whatever the file size. A
 * file that fails (modified, truncated, link revoked) errors the stream: the browser
 * marks the download failed, never complete, and the page is told which file it was.
 * Nothing here talks to any other origin.
 */
'use strict'
importScripts('sealed.js', 'client-zip.js')

const zip = typeof downloadZip === 'function' ? downloadZip : downloadZip.downloadZip
/** Jobs the page announced and has not started yet, by id. */
const jobs = new Map()

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))

self.addEventListener('message', (event) => {
  const job = event.data
  if (job && job.type === 'job' && typeof job.id === 'string') {
    job.port = event.ports[0]
    jobs.set(job.id, job)
    job.port.postMessage({ id: job.id, ready: true })
  }
})

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  const m = /\/dl\/([A-Za-z0-9_-]{8,64})$/.exec(url.pathname)
  if (url.origin !== self.location.origin || !m || !jobs.has(m[1])) return
  const job = jobs.get(m[1])
  jobs.delete(m[1])
  event.respondWith(answer(job))
})

function disposition(name) {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

function answer(job) {
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Disposition': disposition(job.name) }
  if (job.files.length === 1 && !job.zip) {
    const file = job.files[0]
    headers['Content-Length'] = String(file.size)
    return new Response(decrypted(job, file), { headers })
  }
  const entries = job.files.map((file) => ({
    name: file.name,
    size: file.size,
    lastModified: file.mtime ? new Date(file.mtime) : new Date(),
    input: decrypted(job, file),
  }))
  const body = zip(entries).body.pipeThrough(reportEnd(job))
  return new Response(body, { headers })
}

/** A lazily opened plaintext stream of one file: fetched and checked when the download first asks for bytes. */
function decrypted(job, file) {
  let inner
  const done = () => job.port.postMessage({ id: job.id, file: file.name, ok: true })
  const fail = (err) => {
    job.port.postMessage({ id: job.id, file: file.name, ok: false, code: err.code || 'E_NETWORK', message: err.message })
    return err
  }
  return new ReadableStream(
    {
      async pull(controller) {
        try {
          if (!inner) inner = (await open(job, file)).getReader()
          const { value, done: end } = await inner.read()
          if (end) {
            done()
            controller.close()
          } else controller.enqueue(value)
        } catch (err) {
          controller.error(fail(err))
        }
      },
      cancel(reason) {
        return inner && inner.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

async function open(job, file) {
  const res = await fetch(`${job.base}/f/${file.n}`, { credentials: 'same-origin', cache: 'no-store' })
  if (!res.ok) {
    const why =
      res.status === 410
        ? 'the link has expired or was revoked'
        : res.status === 429
          ? 'the download limit of this link is reached'
          : `the server answered ${res.status}`
    throw new ShutterproofSealed.SealedError('E_HTTP_' + res.status, why)
  }
  const length = Number(res.headers.get('Content-Length'))
  return ShutterproofSealed.openStream(res.body, job.key, Number.isSafeInteger(length) ? length : undefined)
}

/** Tells the page when a whole "download all" archive went through. */
function reportEnd(job) {
  return new TransformStream({
    flush() {
      job.port.postMessage({ id: job.id, ok: true, all: true })
    },
  })
}
