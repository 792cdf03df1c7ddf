/**
 * The scoring library's public contract. Everything outside scoring/ imports from here only.
 *
 * Pipeline, one module per step: score → validity → tier (with policy) → fuse → change → aggregate.
 * Pure: no I/O, no clock, no randomness; time and ids are arguments.
 */
export type { AnswerValue, Answers, ScoreOptions, ScoreProblem, ScoreResult, SubscaleScore } from "./score";
export { concernItems, criticalItems, isShown, missingItems, scoreBattery, scoreInstrument } from "./score";
export type { PageTiming, ValidityCode, ValidityParams, ValidityReason, ValidityResult } from "./validity";
export type { ResponseResult } from "./response";
export { checkValidity, scoreResponse } from "./response";
export type { BandMatch, Condition, Rule, Tier as TierName, TierPolicyInput } from "./policy";
export { parsePolicy, PolicyError, Tier, TierPolicy, TIERS, tierRank } from "./policy";
export { defaultPolicy } from "./policies/default-v1";
export { policies } from "./policies/index";
export type { Evidence, InformantRole, ObservationEvidence, Reason, TierResult } from "./tier";
export { assignTier, observationConcerned } from "./tier";
export type { FuseContext, FuseInput, InstrumentChange, WatchEntry, WaveResult } from "./fuse";
export { compareWatchEntries, fuseStudent, KEY_POPULATION_ITEM, rankWatchList, summarizeObservation } from "./fuse";
export type { AlphaResult, ChangeReference, ChangeReferenceInput, ReliableChange, ReliableChangeInput, ScoreDirection, TierMovement, Who5Change } from "./change";
export { changeReference, cronbachAlpha, MIN_DISTRICT_N, reliableChangeIndex, tierMovement, who5PercentChange } from "./change";
export type { DistrictFunnel, FunnelLimits, FunnelPosition, GroupSummary, Interval, MeanDifference, MeanEstimate, PublishableTable, RateEstimate, SchoolCount, SchoolFunnelResult } from "./aggregate";
export { classifySchools, funnelLimits, meanDifference, meanDifferenceFromSummaries, meanFromSummary, meanWithInterval, rate, studentTQuantile, suppressSmallCells, wilsonInterval } from "./aggregate";
