// The share gallery's script (served inline, allowed by its hash in the page's CSP).
// It only enhances the page, which works without it: expiry in the viewer's local time,
// and a lightbox over the photos with keyboard (← → Esc) and swipe. It reads everything
// from the page's own markup (data-* attributes, see page.ts) and fetches nothing else.
;(function () {
  'use strict'
  for (const t of document.querySelectorAll('time[data-local]')) {
    const d = new Date(t.getAttribute('datetime'))
    if (!isNaN(d.getTime())) {
      t.textContent = d.toLocaleString(undefined, { dateStyle: 'long', timeStyle: 'short' })
      t.title = d.toISOString()
    }
  }

  const items = Array.from(document.querySelectorAll('.g-item[data-view]'))
  const box = document.getElementById('lightbox')
  if (!box || items.length === 0) return
  const img = box.querySelector('.g-lb-img')
  const caption = box.querySelector('.g-lb-name')
  const download = box.querySelector('.g-lb-download')
  const closeButton = box.querySelector('.g-lb-close')
  let current = -1
  let opener = null

  function show(i) {
    current = (i + items.length) % items.length
    const item = items[current]
    img.src = item.dataset.view
    img.alt = item.dataset.name
    caption.textContent = `${item.dataset.name} (${current + 1} of ${items.length})`
    download.href = item.dataset.download
    box.dataset.index = String(current)
    // Fetch the neighbours now, so the next photo is there when asked for.
    for (const n of [current + 1, current - 1]) new Image().src = items[(n + items.length) % items.length].dataset.view
  }

  function open(i) {
    opener = document.activeElement
    box.hidden = false
    document.body.classList.add('g-viewing')
    show(i)
    closeButton.focus()
  }

  function close() {
    box.hidden = true
    document.body.classList.remove('g-viewing')
    img.removeAttribute('src')
    current = -1
    if (opener && opener.focus) opener.focus()
  }

  items.forEach((item, i) => {
    const link = item.querySelector('.g-open')
    link.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return
      e.preventDefault()
      open(i)
    })
  })
  box.querySelector('.g-lb-prev').addEventListener('click', () => show(current - 1))
  box.querySelector('.g-lb-next').addEventListener('click', () => show(current + 1))
  closeButton.addEventListener('click', close)
  let swiped = false
  box.addEventListener('click', (e) => {
    // The click that ends a mouse swipe is not a click on the backdrop.
    if (swiped) swiped = false
    else if (e.target === box) close()
  })
  document.addEventListener('keydown', (e) => {
    if (box.hidden) return
    if (e.key === 'ArrowRight') show(current + 1)
    else if (e.key === 'ArrowLeft') show(current - 1)
    else if (e.key === 'Escape') close()
    else return
    e.preventDefault()
  })

  // Swipe: a mostly horizontal move of 50 px or more, with a finger or a mouse.
  let start = null
  box.addEventListener('pointerdown', (e) => {
    start = { x: e.clientX, y: e.clientY }
  })
  box.addEventListener('pointerup', (e) => {
    if (!start) return
    const dx = e.clientX - start.x
    const dy = e.clientY - start.y
    start = null
    if (Math.abs(dx) >= 50 && Math.abs(dx) > 2 * Math.abs(dy)) {
      swiped = true
      show(current + (dx < 0 ? 1 : -1))
    }
  })
  box.addEventListener('pointercancel', () => {
    start = null
  })
  img.addEventListener('dragstart', (e) => e.preventDefault())
})()
