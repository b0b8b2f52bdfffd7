/** The text augmenter family: queries and titles (English and Chinese). See docs/guide/augmentation.md. */
export { textFamily, TextPipeline, buildTextPipeline, loadTextPipeline, augmentTexts, augmentedTextsToJsonl, augmentQueryGroups, textRng, TextResourcesSpec } from './family.ts';
export type { AugmentedText, AugmentQueryGroupsOptions } from './family.ts';
export {
  TEXT_OPERATORS,
  synonymReplace,
  randomInsert,
  randomSwap,
  randomDelete,
  keyboardTypo,
  transposeChars,
  dropChar,
  doubleChar,
  typo,
  unitVariant,
  abbreviate,
  reformulate,
  applyTypo,
} from './operators.ts';
export type { TextOperatorDef, SynonymParams, InsertParams, SwapParams, DeleteParams, TypoEdit, TypoParams, QuantityParams, AbbrevParams, ReformParams } from './operators.ts';
export { fitTextResources, mineBrands, mineSynonyms, trainingProducts, parseSynonymText, readSynonymFile, readBrandFile, formatSynonymTable, BARE_TEXT_CONTEXT } from './resources.ts';
export type { TextContext, TextResources, FitTextResourcesOptions, SynonymTable } from './resources.ts';
export { tokenize, joinTokens, joinUnits, protectedSpans, splitRaw, brandList, headIndex, hasCjk, segmenter, unitText, unitTokens, EMPTY_BRANDS } from './tokens.ts';
export type { TextUnit, TokenizedText, ProtectedPart, PartKind, BrandList } from './tokens.ts';
export { measureMisspellings, classifyEdit, wordCounts, typoProfileFrom, isKeyboardNeighbour, KEYBOARD_NEIGHBOURS, TYPO_KINDS } from './typos.ts';
export type { TypoKind, TypoProfile, MisspellingReport, MisspellingOptions } from './typos.ts';
export { quantityVariants, canonicalQuantity, numberValue, WORD_ABBREVIATIONS, UNIT_ABBREVIATIONS } from './quantities.ts';
export { loadWordNet, WordNet, wordnetDictDir } from './wordnet.ts';
export type { SynonymLookup, WordNetOptions } from './wordnet.ts';
