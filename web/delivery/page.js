/*
 * Shutterproof delivery page: reads the delivery key from the link's #fragment (which the
 * browser never sends to a server), opens the delivery's sealed list of files with it —
 * a wrong or cut key is refused here, before any download — and hands each download to
 * the service worker (sw.js), which decrypts on the way to disk.
 */
;(function () {
  'use strict'
  const { keyFromFragment, openBytes } = self.ShutterproofSealed
  const $ = (sel) => document.querySelector(sel)
  const base = location.pathname.replace(/\/+$/, '')
  const root = base.slice(0, base.lastIndexOf('/') + 1)
  const WRONG_KEY = "This link's key is wrong or incomplete. Copy the whole link, including everything after the # sign, from the message you were sent."

  function say(text, kind) {
    const status = $('#status')
    status.textContent = text
    status.dataset.state = kind
  }

  function formatBytes(n) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB']
    let i = 0
    while (n >= 1000 && i < units.length - 1) {
      n /= 1000
      i++
    }
    return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i]
  }

  /** Asks for the link's password in the page itself (a form post would lose the #key), then retries. */
  function askPassword(message) {
    const form = $('#password')
    form.hidden = false
    say(message, message === 'This delivery needs a password.' ? 'ready' : 'error')
    return new Promise((resolve) => {
      form.onsubmit = async (event) => {
        event.preventDefault()
        const body = new URLSearchParams({ password: $('#pw').value })
        const res = await fetch(base, { method: 'POST', body, credentials: 'same-origin', cache: 'no-store' })
        if (res.ok) {
          form.hidden = true
          resolve()
        } else {
          say(res.status === 429 ? 'Too many attempts: wait a while, then try again.' : 'That password is not right. Check it and try again.', 'error')
        }
      }
    })
  }

  /** GETs a file of the link, asking for the link's password first when the server wants it. */
  async function fetchGated(url) {
    let res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' })
    if (res.status === 401) {
      await askPassword('This delivery needs a password.')
      res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' })
    }
    return res
  }

  /**
   * A link sent without its key: the delivery key is sealed for a passphrase the client
   * was given separately; one Argon2id run (hash-wasm) with the header's capped costs.
   */
  async function keyFromPassphrase() {
    const res = await fetchGated(base + '/k')
    if (res.status === 404) throw Object.assign(new Error(WRONG_KEY), { code: 'E_NO_KEY' })
    if (!res.ok) throw httpError(res)
    const sealed = new Uint8Array(await res.arrayBuffer())
    const form = $('#passphrase')
    form.hidden = false
    say('Type the passphrase you were sent separately.', 'ready')
    return new Promise((resolve) => {
      form.onsubmit = async (event) => {
        event.preventDefault()
        say('Checking the passphrase…', 'busy')
        try {
          const key = await openBytes(sealed, { passphrase: $('#pp').value, argon2id: self.hashwasm.argon2id })
          form.hidden = true
          resolve(key)
        } catch (err) {
          say(err.code === 'E_BAD_PASSPHRASE' ? 'That passphrase is not right. Check it and try again.' : err.message, 'error')
        }
      }
    })
  }

  function httpError(res) {
    return Object.assign(new Error(res.status === 410 ? 'This link has expired or was revoked.' : res.status === 429 ? 'The download limit of this link is reached.' : 'The server answered ' + res.status + '.'), { code: 'E_HTTP' })
  }

  async function loadList(key) {
    const res = await fetchGated(base + '/m')
    if (!res.ok) throw httpError(res)
    const plain = await openBytes(new Uint8Array(await res.arrayBuffer()), key)
    return JSON.parse(new TextDecoder().decode(plain))
  }

  async function worker() {
    if (!('serviceWorker' in navigator)) throw new Error('This browser cannot save decrypted files (no service workers). Try a current Chrome, Edge, Firefox or Safari.')
    await navigator.serviceWorker.register(root + 'sw.js', { scope: root })
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }))
    }
    return navigator.serviceWorker.controller
  }

  let jobCount = 0
  function start(sw, key, files, name, zip) {
    const id = Date.now().toString(36) + '-' + (++jobCount) + '-' + Math.random().toString(36).slice(2, 10)
    const channel = new MessageChannel()
    const pending = new Set(files.map((f) => f.name))
    channel.port1.onmessage = (event) => {
      const m = event.data
      if (m.ready) {
        // A navigation (here of a hidden frame) is what the service worker answers; the
        // attachment it returns becomes a download and the frame itself shows nothing.
        const frame = document.createElement('iframe')
        frame.hidden = true
        frame.src = base + '/dl/' + id
        document.body.appendChild(frame)
        setTimeout(() => frame.remove(), 60000)
        say(zip ? 'Saving ' + name + ' …' : 'Saving ' + name + ' …', 'busy')
        return
      }
      if (m.ok === false) {
        say(m.file + ' failed: ' + m.message + '. The download was stopped; a partial file is not complete — delete it.', 'error')
        document.body.dataset.failed = m.file
        channel.port1.close()
        return
      }
      if (m.file) pending.delete(m.file)
      if ((zip && m.all) || (!zip && pending.size === 0)) {
        say(name + ' saved.', 'done')
        document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1)
        channel.port1.close()
      }
    }
    sw.postMessage({ type: 'job', id, base, key, files, name, zip }, [channel.port2])
  }

  function render(sw, key, list) {
    document.title = list.title
    $('h1').textContent = list.title
    const total = list.files.reduce((n, f) => n + f.size, 0)
    $('#meta').textContent = list.files.length + (list.files.length === 1 ? ' file · ' : ' files · ') + formatBytes(total) + ' · end-to-end encrypted'
    const ul = $('#files')
    for (const f of list.files) {
      const li = document.createElement('li')
      li.dataset.n = String(f.n)
      const span = document.createElement('span')
      span.className = 'd-name'
      span.textContent = f.name + ' · ' + formatBytes(f.size)
      const button = document.createElement('button')
      button.type = 'button'
      button.textContent = 'Download'
      button.addEventListener('click', () => start(sw, key, [f], f.name.split('/').pop(), false))
      li.append(span, button)
      ul.appendChild(li)
    }
    const all = $('#all')
    all.hidden = list.files.length < 2
    all.textContent = 'Download all (.zip, ' + formatBytes(total) + ')'
    all.addEventListener('click', () => start(sw, key, list.files, list.title.replace(/[\\/:*?"<>|]/g, '_') + '.zip', true))
    document.body.dataset.ready = 'true'
    say('Ready. Files are decrypted in this browser as they are saved.', 'ready')
  }

  async function main() {
    let key = keyFromFragment(location.hash)
    // A fragment that is there but not a whole key: the link was cut.
    if (!key && location.hash.length > 1) return say(WRONG_KEY, 'error')
    let list
    try {
      if (!key) key = await keyFromPassphrase()
      list = await loadList(key)
    } catch (err) {
      const keyProblem = err && ['E_WRONG_KEY', 'E_AUTH', 'E_FORMAT', 'E_TRUNCATED'].includes(err.code)
      return say(keyProblem ? WRONG_KEY : err.message, 'error')
    }
    try {
      render(await worker(), key, list)
    } catch (err) {
      say(err.message, 'error')
    }
  }
  main()
})()
