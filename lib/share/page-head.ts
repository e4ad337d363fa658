/**
 * The `<head>` lines every page the share server sends begins with: a client's share is
 * never indexed, archived or followed (`robots`), and its address never leaves in a
 * Referer (`referrer`). One place, so a new page cannot forget either.
 */
export const PRIVATE_PAGE_META = `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow, noarchive">
<meta name="referrer" content="no-referrer">`
