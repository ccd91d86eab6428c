import { useEffect, useRef, useState } from 'react'

/** The value, but updated at most once per `ms` (the latest value always lands). */
export function useThrottledValue<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value)
  const lastAt = useRef(0)
  useEffect(() => {
    const wait = lastAt.current + ms - Date.now()
    if (wait <= 0) {
      lastAt.current = Date.now()
      setShown(value)
      return
    }
    const timer = setTimeout(() => {
      lastAt.current = Date.now()
      setShown(value)
    }, wait)
    return () => clearTimeout(timer)
  }, [value, ms])
  return shown
}
