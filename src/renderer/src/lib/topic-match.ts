// The topic matching is shared with the inspector's search (src/shared/topic-match.ts).
export * from '../../../shared/topic-match'
