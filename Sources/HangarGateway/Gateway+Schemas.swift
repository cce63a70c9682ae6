import HangarCore
extension Gateway {
    func inputProblem(_ entry: ExposedCatalog.Entry, arguments: JSONValue?) -> String? { nil }
    func outputProblem(_ entry: ExposedCatalog.Entry, result: JSONValue) -> String? { nil }
}
