import { useVirtualizer } from '@tanstack/react-virtual'
import { type BridgeStatus, inspectionPrefixOf } from '../../../../shared/bridges'
import { useEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent } from 'react'
import type { TopicNode } from '../../../../shared/api'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ConnectRemoteDialog } from '../../components/ConnectRemoteDialog'
import { useThrottledValue } from '../../components/useThrottledValue'
import { formatAgo, formatBytes, formatCount, formatDateTime } from '../../lib/format'
import { base64ToBytesSafe, bytesAsText, previewPayload, toHex } from '../../lib/payload'
import { compileTopicSearch, isSysTopic } from '../../lib/topic-match'
import { allParentPaths, buildTopicTree, parentPath, visibleTreeRows, type TopicTreeNode } from '../../lib/topic-tree'
import { NONE, useInspectorStore } from '../../store/inspector-store'
import { usePublishStore } from '../../store/publish-store'
import { useTrafficStore } from '../../store/traffic-store'
import { useTopicInspectorStore } from '../../store/topic-inspector-store'
import { useUiStore } from '../../store/ui-store'
import { TopicDetail } from './TopicDetail'
import { TopTalkers } from './TopTalkers'
import { useTopicsViewStore } from './topics-view-store'

/** A topic updated this recently flashes in the tree (as MQTT Explorer's do). */
const FLASH_MS = 1500

const ROW_HEIGHT = 24

function lastValueText(base64: string, maxChars = 100_000): string {
  const bytes = base64ToBytesSafe(base64)
  const p = previewPayload(base64, maxChars, false)
  return bytes === null ? '' : p.text
}

function lastValue(node: TopicTreeNode): { text: string; hex: boolean } {
  const topic = node.topic
  if (!topic) return { text: '', hex: false }
  const bytes = base64ToBytesSafe(topic.lastPayload)
  const p = previewPayload(topic.lastPayload, 80, bytes !== null && topic.lastSize > bytes.length)
  return { text: p.kind === 'empty' ? '(empty)' : p.text, hex: p.kind === 'hex' }
}

/** The tree paths where remote inspections put their topics (remote/<name>), by path. */
function remoteRootsOf(bridges: readonly BridgeStatus[]): Map<string, BridgeStatus> {
  const roots = new Map<string, BridgeStatus>()
  for (const bridge of bridges) {
    if (bridge.config.kind !== 'inspect') continue
    const prefix = inspectionPrefixOf(bridge.config)
    if (prefix === '') continue
    roots.set(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, bridge)
  }
  return roots
}

function RemoteBadge({ status }: { status: BridgeStatus }): JSX.Element {
  return (
    <span
      className={`badge badge-remote ${status.state === 'connected' ? '' : 'badge-remote-down'}`}
      title={`Remote broker ${status.config.url} (read-only inspection): ${status.state}${status.lastError && status.state !== 'connected' ? `, ${status.lastError}` : ''}`}
      data-testid={`remote-badge-${status.config.name}`}
    >
      remote · {status.config.url}
      {status.state === 'connected' ? '' : ` · ${status.state}`}
    </span>
  )
}

export function TopicsView(): JSX.Element {
  const allTopics = useInspectorStore((s) => s.data?.topics ?? NONE)
  const showSys = useUiStore((s) => s.showSys)
  const liveTopics = useMemo(() => (showSys ? allTopics : allTopics.filter((t) => !isSysTopic(t.topic))), [allTopics, showSys])
  const sysHidden = allTopics.length - liveTopics.length
  const notTracked = useInspectorStore((s) => s.data?.topicsNotTracked ?? 0)
  const evicted = useInspectorStore((s) => s.data?.topicsEvicted ?? 0)
  // Rebuilding the tree on every batch is wasted work: at most 4 times a second.
  const topics = useThrottledValue(liveTopics, 250)
  const { expanded, selected, search, find, found, showTalkers } = useTopicsViewStore()
  const { toggle, select, setSearch, setExpanded, setFind, setFound, setShowTalkers } = useTopicsViewStore.getState()
  const pinned = useTopicInspectorStore((s) => s.pinned)
  const retained = useInspectorStore((s) => s.data?.retained ?? NONE)
  const historyUsage = useInspectorStore((s) => s.data?.history ?? null)
  const [finding, setFinding] = useState(false)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const [connecting, setConnecting] = useState(false)
  const [message, say] = useActionMessage()
  const bridges = useInspectorStore((s) => s.data?.bridges ?? NONE)
  // Each remote inspection's subtree root (its prefix without the last "/"), marked in the tree.
  const remoteRoots = useMemo(() => remoteRootsOf(bridges), [bridges])

  const tree = useMemo(() => buildTopicTree(topics), [topics])
  const compiled = useMemo(() => compileTopicSearch(search), [search])
  const foundSet = useMemo(() => (found && !found.error ? new Set(found.matches.map((m) => m.topic)) : null), [found])
  const rows = useMemo(() => {
    const byName = compiled.ok && search.trim() !== '' ? compiled.match : null
    const filter =
      byName === null && foundSet === null
        ? undefined
        : (topic: string) => (byName === null || byName(topic)) && (foundSet === null || foundSet.has(topic))
    return visibleTreeRows(tree, expanded, filter)
  }, [tree, expanded, compiled, search, foundSet])
  const selectedIndex = useMemo(() => rows.findIndex((r) => r.node.path === selected), [rows, selected])
  const selectedNode = selectedIndex >= 0 ? rows[selectedIndex].node : null
  const now = Date.now()

  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    initialRect: { width: 800, height: 500 }
  })
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' })
  }, [selectedIndex, virtualizer])

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (rows.length === 0) return
    const at = selectedIndex
    const current = at >= 0 ? rows[at] : null
    let handled = true
    switch (event.key) {
      case 'ArrowDown':
        select(rows[Math.min(rows.length - 1, at + 1)].node.path)
        break
      case 'ArrowUp':
        select(rows[Math.max(0, at < 0 ? rows.length - 1 : at - 1)].node.path)
        break
      case 'Home':
        select(rows[0].node.path)
        break
      case 'End':
        select(rows[rows.length - 1].node.path)
        break
      case 'ArrowRight':
        if (!current) select(rows[0].node.path)
        else if (current.hasChildren && !current.expanded) toggle(current.node.path, true)
        else if (current.expanded && at + 1 < rows.length) select(rows[at + 1].node.path)
        break
      case 'ArrowLeft':
        if (!current) break
        if (current.expanded && search.trim() === '') toggle(current.node.path, false)
        else {
          const parent = parentPath(current.node.path, current.node.depth)
          if (parent !== null) select(parent)
        }
        break
      case 'Enter':
      case ' ':
        if (current?.hasChildren) toggle(current.node.path)
        break
      case 'Escape':
        select(null)
        break
      default:
        handled = false
    }
    if (handled) event.preventDefault()
  }

  const publishTo = (path: string): void => {
    usePublishStore.getState().setForm({ topic: path })
    useUiStore.getState().setView('publish')
  }
  const showTraffic = (node: TopicTreeNode): void => {
    useTrafficStore.getState().setFilters({ topic: node.topic && node.children.length === 0 ? node.path : `${node.path}/#` })
    useUiStore.getState().setView('traffic')
  }

  const items = virtualizer.getVirtualItems()
  const selectedTopic = selectedNode?.topic ?? null
  const retainedInSubtree = useMemo(() => {
    if (!selectedNode) return 0
    const prefix = `${selectedNode.path}/`
    // $SYS is never deleted (the inspector refuses), so it is never counted here either.
    return retained.filter((r) => !isSysTopic(r.topic) && (r.topic === selectedNode.path || r.topic.startsWith(prefix))).length
  }, [retained, selectedNode])

  const copy = async (text: string, done: string): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text)
      say(true, done)
    } catch (error) {
      say(false, `Could not copy: ${errorText(error)}`)
    }
  }
  /** Copy the latest payload whole (asked of the inspector), or its preview when nothing keeps it whole. */
  const copyPayload = async (node: TopicNode): Promise<void> => {
    let whole: Uint8Array | null = null
    try {
      const answer = await getApi().call('latestPayload', node.topic)
      whole = answer ? base64ToBytesSafe(answer.payload) : null
    } catch {
      // Fall back to the preview below.
    }
    if (whole !== null) return copy(bytesAsText(whole) ?? toHex(whole), `Payload copied (${formatBytes(whole.length)})`)
    const preview = base64ToBytesSafe(node.lastPayload)
    const cut = preview !== null && node.lastSize > preview.length
    return copy(
      lastValueText(node.lastPayload),
      cut ? `Copied the first ${formatBytes(preview.length)}: the whole payload is no longer kept` : 'Payload copied'
    )
  }
  const deleteRetained = async (): Promise<void> => {
    setConfirmDelete(false)
    if (!selectedNode) return
    try {
      const deleted = await getApi().call('deleteRetainedSubtree', selectedNode.path)
      say(true, `Deleted ${formatCount(deleted)} retained message${deleted === 1 ? '' : 's'}`)
    } catch (error) {
      say(false, errorText(error))
    }
  }
  const runFind = async (): Promise<void> => {
    if (find.payload === '') {
      setFound(null)
      return
    }
    setFinding(true)
    try {
      setFound(await getApi().call('findTopics', { ...find, topic: search.trim() }))
    } catch (error) {
      setFound({ matches: [], topicsScanned: 0, messagesScanned: 0, notListed: 0, stoppedEarly: false, error: errorText(error) })
    } finally {
      setFinding(false)
    }
  }
  const goToTopic = (topic: string): void => {
    const levels = topic.split('/')
    const next = new Set(expanded)
    for (let i = 1; i < levels.length; i++) next.add(levels.slice(0, i).join('/'))
    setExpanded(next)
    select(topic)
  }
  const goToClient = (clientId: string): void => {
    useTrafficStore.getState().setFilters({ client: clientId })
    useUiStore.getState().setView('traffic')
  }
  const topicByPath = useMemo(() => new Map(topics.map((t) => [t.topic, t])), [topics])

  return (
    <div className="view">
      <div className="view-header">
        <h1>Topics</h1>
        <span className="muted">
          {formatCount(topics.length)} topics · {formatCount(tree.messages)} messages
          {sysHidden > 0 ? ` (${formatCount(sysHidden)} $SYS topics hidden)` : ''}
        </span>
        {(notTracked > 0 || evicted > 0) && (
          <span className="warning-text small-text" data-testid="topics-not-tracked">
            {notTracked > 0 ? `${formatCount(notTracked)} messages on topics the broker's topic tree had no room for` : ''}
            {notTracked > 0 && evicted > 0 ? ' · ' : ''}
            {evicted > 0 ? `${formatCount(evicted)} old topics dropped from this view` : ''}
          </span>
        )}
      </div>
      <div className="toolbar">
        <label className="field-inline">
          Filter topics
          <input
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="text, or a filter like sensors/+/temp"
            data-filter-input
            aria-invalid={!compiled.ok}
            size={28}
          />
        </label>
        <button type="button" className="small" onClick={() => setExpanded(new Set(allParentPaths(tree)))}>
          Expand all
        </button>
        <button type="button" className="small" onClick={() => setExpanded(new Set())}>
          Collapse all
        </button>
        <label className="field-inline">
          <input type="checkbox" checked={showSys} onChange={(e) => useUiStore.getState().setShowSys(e.target.checked)} />
          Show $SYS
        </label>
        {!compiled.ok && <span className="field-error">Filter {compiled.error}</span>}
        <span className="toolbar-spacer" />
        <button type="button" className="small" aria-pressed={showTalkers} onClick={() => setShowTalkers(!showTalkers)}>
          Top talkers
        </button>
        <button type="button" className="small" onClick={() => setConnecting(true)} data-testid="open-connect-dialog">
          Connect to a broker…
        </button>
      </div>
      <ConnectRemoteDialog
        open={connecting}
        onClose={(result) => {
          setConnecting(false)
          if (result) say(true, result)
        }}
      />
      {!selectedNode && <ActionMessage message={message} />}
      <form
        className="toolbar find-bar"
        onSubmit={(event) => {
          event.preventDefault()
          void runFind()
        }}
      >
        <label className="field-inline">
          Find in payloads
          <input
            type="search"
            value={find.payload}
            onChange={(e) => setFind({ payload: e.target.value })}
            placeholder={find.mode === 'regex' ? 'a regular expression, e.g. temp":\\s*2\\d' : 'text in a payload'}
            size={28}
            data-testid="find-payload"
          />
        </label>
        <label className="field-inline">
          <input
            type="checkbox"
            checked={find.mode === 'regex'}
            onChange={(e) => setFind({ mode: e.target.checked ? 'regex' : 'substring' })}
          />
          Regex
        </label>
        <label className="field-inline">
          <input type="checkbox" checked={find.caseSensitive} onChange={(e) => setFind({ caseSensitive: e.target.checked })} />
          Match case
        </label>
        <label className="field-inline">
          <input type="checkbox" checked={find.history} onChange={(e) => setFind({ history: e.target.checked })} />
          In history
        </label>
        <button type="submit" className="small" disabled={finding}>
          Find
        </button>
        {found && (
          <button type="button" className="small" onClick={() => setFound(null)}>
            Clear find
          </button>
        )}
        {found && (
          <span className={found.error ? 'field-error' : 'muted'} role="status" data-testid="find-result">
            {found.error
              ? found.error
              : `${formatCount(found.matches.length + found.notListed)} topic${found.matches.length + found.notListed === 1 ? '' : 's'} match · ` +
                `${formatCount(found.matches.filter((m) => m.latest).length)} by latest value, ` +
                `${formatCount(found.matches.reduce((n, m) => n + m.historyMatches, 0))} history messages · ` +
                `${formatCount(found.messagesScanned)} messages searched${found.stoppedEarly ? ' (stopped at the time limit)' : ''}`}
          </span>
        )}
      </form>
      {historyUsage && (historyUsage.evictedForBytes > 0 || historyUsage.topicsNotKept > 0) && (
        <p className="warning-text small-text" data-testid="history-evictions">
          History: {formatCount(historyUsage.entries)} messages, {formatBytes(historyUsage.bytes)} of {formatBytes(historyUsage.maxBytes)}
          {historyUsage.evictedForBytes > 0 ? ` · ${formatCount(historyUsage.evictedForBytes)} evicted for the byte limit` : ''}
        </p>
      )}
      {pinned.length > 0 && (
        <section className="watch-list" aria-label="Pinned topics" data-testid="watch-list">
          <h2 className="small-heading">Pinned</h2>
          <ul>
            {pinned.map((topic) => {
              const node = topicByPath.get(topic)
              const value = node ? lastValueText(node.lastPayload, 60) : ''
              const recent = node !== undefined && now - node.lastUpdated < FLASH_MS
              return (
                <li key={topic} className={recent ? 'flash' : ''}>
                  <button type="button" className="link-button mono" onClick={() => goToTopic(topic)}>
                    {topic}
                  </button>
                  <span className="mono ellipsis">{node ? value || '(empty)' : '(no message yet)'}</span>
                  <span className="muted">{node ? `${formatCount(node.messages)} · ${formatAgo(node.lastUpdated, now)}` : ''}</span>
                  <button
                    type="button"
                    className="small"
                    onClick={() => useTopicInspectorStore.getState().togglePin(topic)}
                    aria-label={`Unpin ${topic}`}
                  >
                    ×
                  </button>
                </li>
              )
            })}
          </ul>
        </section>
      )}
      {showTalkers && <TopTalkers onTopic={goToTopic} onClient={goToClient} />}
      <div className={`split ${selectedNode ? 'with-detail' : ''}`}>
        <div className="tree-panel">
          <div className="tree-head" aria-hidden="true">
            <span>Topic</span>
            <span className="num">Messages</span>
            <span>Last value</span>
            <span>Updated</span>
          </div>
          <div
            className="tree-body"
            ref={scrollRef}
            role="tree"
            aria-label="Topics"
            tabIndex={0}
            onKeyDown={onKeyDown}
            aria-activedescendant={selectedNode ? `topic-node-${selectedIndex}` : undefined}
            data-testid="topic-tree"
          >
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }} role="presentation">
              {items.map((item) => {
                const row = rows[item.index]
                const node = row.node
                const isSelected = node.path === selected
                const value = lastValue(node)
                return (
                  // biome-ignore lint/a11y/useFocusableInteractive lint/a11y/useKeyWithClickEvents: the tree container takes the keys (aria-activedescendant)
                  <div
                    key={node.path}
                    id={`topic-node-${item.index}`}
                    role="treeitem"
                    aria-level={node.depth + 1}
                    aria-expanded={row.hasChildren ? row.expanded : undefined}
                    aria-selected={isSelected}
                    data-path={node.path}
                    className={`tree-row ${isSelected ? 'selected' : ''} ${node.lastUpdated && now - node.lastUpdated < FLASH_MS ? 'flash' : ''}`}
                    style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                    onClick={() => select(node.path)}
                    onDoubleClick={() => row.hasChildren && toggle(node.path)}
                  >
                    <span className="tree-name" style={{ paddingLeft: node.depth * 16 }}>
                      <span
                        className={`twisty ${row.hasChildren ? '' : 'leaf'}`}
                        aria-hidden="true"
                        onClick={(event) => {
                          event.stopPropagation()
                          if (row.hasChildren) toggle(node.path)
                          select(node.path)
                        }}
                      >
                        {row.hasChildren ? (row.expanded ? '▾' : '▸') : '•'}
                      </span>
                      <span className={`mono ${node.topic ? '' : 'muted'}`}>{node.name === '' ? <em>(empty level)</em> : node.name}</span>
                      {node.topic?.retained && (
                        <span className="badge badge-info" title="has a retained message">
                          R
                        </span>
                      )}
                      {remoteRoots.has(node.path) && <RemoteBadge status={remoteRoots.get(node.path)!} />}
                      {row.hasChildren && (
                        <span className="muted small-text">
                          {' '}
                          {formatCount(node.topicCount)} topic{node.topicCount === 1 ? '' : 's'}
                        </span>
                      )}
                    </span>
                    <span className="num">{formatCount(node.messages)}</span>
                    <span className={`ellipsis mono ${value.hex ? 'hex' : ''}`}>{value.text}</span>
                    <span className="muted">{node.lastUpdated ? formatAgo(node.lastUpdated, now) : ''}</span>
                  </div>
                )
              })}
            </div>
            {rows.length === 0 && (
              <p className="empty">
                {topics.length === 0 ? 'No topics yet. Messages published to the broker appear here.' : 'No topic matches the filter.'}
              </p>
            )}
          </div>
        </div>
        {selectedNode && (
          <aside className="detail-panel topic-detail-panel" aria-label="Topic details" data-testid="topic-detail">
            <div className="detail-header">
              <h2 className="mono ellipsis" title={selectedNode.path}>
                {selectedNode.path || '(empty level)'}
              </h2>
              <button type="button" className="small" onClick={() => select(null)} aria-label="Close details">
                ×
              </button>
            </div>
            <dl className="facts compact-facts">
              <div className="fact-row">
                <dt>Messages here</dt>
                <dd>{formatCount(selectedTopic?.messages ?? 0)}</dd>
              </div>
              <div className="fact-row">
                <dt>In subtree</dt>
                <dd>
                  {formatCount(selectedNode.messages)} messages, {formatCount(selectedNode.topicCount)} topics
                </dd>
              </div>
              {selectedTopic && (
                <div className="fact-row">
                  <dt>Last</dt>
                  <dd>
                    {selectedTopic.lastUpdated ? formatDateTime(selectedTopic.lastUpdated) : '–'} · {formatBytes(selectedTopic.lastSize)}
                    {selectedTopic.retained ? ' · retained' : ''}
                  </dd>
                </div>
              )}
            </dl>
            <div className="button-row wrap">
              <button type="button" className="small" onClick={() => publishTo(selectedNode.path)}>
                Publish to this topic
              </button>
              <button type="button" className="small" onClick={() => showTraffic(selectedNode)}>
                Show in Traffic
              </button>
              <button type="button" className="small" onClick={() => void copy(selectedNode.path, 'Topic copied')}>
                Copy topic
              </button>
              {selectedTopic && (
                <button type="button" className="small" onClick={() => void copyPayload(selectedTopic)}>
                  Copy payload
                </button>
              )}
              <button
                type="button"
                className="small"
                aria-pressed={pinned.includes(selectedNode.path)}
                onClick={() => useTopicInspectorStore.getState().togglePin(selectedNode.path)}
              >
                {pinned.includes(selectedNode.path) ? 'Unpin' : 'Pin'}
              </button>
              <button
                type="button"
                className="small danger"
                disabled={retainedInSubtree === 0}
                onClick={() => setConfirmDelete(true)}
                data-testid="delete-retained-subtree"
              >
                Delete retained ({formatCount(retainedInSubtree)})
              </button>
            </div>
            <ActionMessage message={message} />
            <TopicDetail topic={selectedNode.path} node={selectedTopic} />
          </aside>
        )}
        <ConfirmDialog
          open={confirmDelete}
          title={`Delete ${formatCount(retainedInSubtree)} retained message${retainedInSubtree === 1 ? '' : 's'}?`}
          danger
          confirmLabel="Delete"
          onConfirm={() => void deleteRetained()}
          onCancel={() => setConfirmDelete(false)}
        >
          <p>
            This deletes the retained message{retainedInSubtree === 1 ? '' : 's'} of <span className="mono">{selectedNode?.path}</span>
            {selectedNode && selectedNode.children.length > 0 ? ' and every topic below it' : ''}: {formatCount(retainedInSubtree)} in all.
            New subscribers will no longer receive them.
          </p>
        </ConfirmDialog>
      </div>
    </div>
  )
}
