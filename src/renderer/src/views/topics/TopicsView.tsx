import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, type JSX, type KeyboardEvent } from 'react'
import { PayloadViewer } from '../../components/PayloadViewer'
import { useThrottledValue } from '../../components/useThrottledValue'
import { formatAgo, formatBytes, formatCount, formatDateTime } from '../../lib/format'
import { base64ToBytesSafe, previewPayload } from '../../lib/payload'
import { compileTopicSearch } from '../../lib/topic-match'
import { allParentPaths, buildTopicTree, parentPath, visibleTreeRows, type TopicTreeNode } from '../../lib/topic-tree'
import { NONE, useInspectorStore } from '../../store/inspector-store'
import { usePublishStore } from '../../store/publish-store'
import { useTrafficStore } from '../../store/traffic-store'
import { useUiStore } from '../../store/ui-store'
import { useTopicsViewStore } from './topics-view-store'

const ROW_HEIGHT = 24

function lastValue(node: TopicTreeNode): { text: string; hex: boolean } {
  const topic = node.topic
  if (!topic) return { text: '', hex: false }
  const bytes = base64ToBytesSafe(topic.lastPayload)
  const p = previewPayload(topic.lastPayload, 80, bytes !== null && topic.lastSize > bytes.length)
  return { text: p.kind === 'empty' ? '(empty)' : p.text, hex: p.kind === 'hex' }
}

export function TopicsView(): JSX.Element {
  const liveTopics = useInspectorStore((s) => s.data?.topics ?? NONE)
  const notTracked = useInspectorStore((s) => s.data?.topicsNotTracked ?? 0)
  const evicted = useInspectorStore((s) => s.data?.topicsEvicted ?? 0)
  // Rebuilding the tree on every batch is wasted work: at most 4 times a second.
  const topics = useThrottledValue(liveTopics, 250)
  const { expanded, selected, search } = useTopicsViewStore()
  const { toggle, select, setSearch, setExpanded } = useTopicsViewStore.getState()

  const tree = useMemo(() => buildTopicTree(topics), [topics])
  const compiled = useMemo(() => compileTopicSearch(search), [search])
  const rows = useMemo(
    () => visibleTreeRows(tree, expanded, compiled.ok && search.trim() !== '' ? compiled.match : undefined),
    [tree, expanded, compiled, search]
  )
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
  const selectedBytes = selectedTopic ? base64ToBytesSafe(selectedTopic.lastPayload) : null

  return (
    <div className="view">
      <div className="view-header">
        <h1>Topics</h1>
        <span className="muted">
          {formatCount(topics.length)} topics · {formatCount(tree.messages)} messages
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
        {!compiled.ok && <span className="field-error">Filter {compiled.error}</span>}
      </div>
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
                    className={`tree-row ${isSelected ? 'selected' : ''}`}
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
          <aside className="detail-panel" aria-label="Topic details" data-testid="topic-detail">
            <div className="detail-header">
              <h2 className="mono ellipsis" title={selectedNode.path}>
                {selectedNode.path || '(empty level)'}
              </h2>
              <button type="button" className="small" onClick={() => select(null)} aria-label="Close details">
                ×
              </button>
            </div>
            <dl className="facts">
              <div className="fact-row">
                <dt>Messages here</dt>
                <dd>{formatCount(selectedTopic?.messages ?? 0)}</dd>
              </div>
              <div className="fact-row">
                <dt>Messages in subtree</dt>
                <dd>{formatCount(selectedNode.messages)}</dd>
              </div>
              <div className="fact-row">
                <dt>Topics in subtree</dt>
                <dd>{formatCount(selectedNode.topicCount)}</dd>
              </div>
              {selectedTopic && (
                <>
                  <div className="fact-row">
                    <dt>Last message</dt>
                    <dd>{selectedTopic.lastUpdated ? formatDateTime(selectedTopic.lastUpdated) : '–'}</dd>
                  </div>
                  <div className="fact-row">
                    <dt>Last size</dt>
                    <dd>{formatBytes(selectedTopic.lastSize)}</dd>
                  </div>
                  <div className="fact-row">
                    <dt>Retained</dt>
                    <dd>{selectedTopic.retained ? 'yes' : 'no'}</dd>
                  </div>
                </>
              )}
            </dl>
            {selectedTopic && (
              <>
                <h3>Last value</h3>
                <PayloadViewer
                  bytes={selectedBytes}
                  truncated={selectedBytes !== null && selectedTopic.lastSize > selectedBytes.length}
                  totalSize={selectedTopic.lastSize}
                  testId="topic-payload"
                />
              </>
            )}
            <div className="button-row">
              <button type="button" className="small" onClick={() => publishTo(selectedNode.path)}>
                Publish to this topic
              </button>
              <button type="button" className="small" onClick={() => showTraffic(selectedNode)}>
                Show in Traffic
              </button>
            </div>
          </aside>
        )}
      </div>
    </div>
  )
}
