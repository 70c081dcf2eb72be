export {
  createFileWriter,
  type FileWriter,
  type FileWriterOptions,
} from "./create-file-writer.ts";
export { createWriter, type Writer, type WriteTransaction } from "./create-writer.ts";
export { quoteIdentifier } from "./quote-identifier.ts";
