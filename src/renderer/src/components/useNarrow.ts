import { useEffect, useState } from 'react'

/** Below this width the layout is "narrow": the nav folds away and details go below their list. */
export const NARROW_QUERY = '(max-width: 1000px)'

/** Whether the window is narrow now (follows resizes). */
export function useNarrow(): boolean {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW_QUERY).matches)
  useEffect(() => {
    const query = window.matchMedia(NARROW_QUERY)
    const update = (): void => setNarrow(query.matches)
    update()
    query.addEventListener('change', update)
    return () => query.removeEventListener('change', update)
  }, [])
  return narrow
}
