import ArgumentParser
import Foundation
import HangarCore
import HangarGateway

struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Call one exposed tool and print its result.")

    @OptionGroup var options: GatewayOptions

    @Argument(help: "The exposed tool name, as `hangar tools` shows it.")
    var name: String

    @Option(help: "Arguments as a JSON object.")
    var args: String = "{}"

    @Flag(help: "Print the whole result as JSON.")
    var json = false

    func run() async throws {
        let arguments: JSONValue
        do { arguments = try JSONParser.parse(args) } catch { throw ValidationError("--args is not valid JSON: \(error)") }
        guard arguments.objectValue != nil else { throw ValidationError("--args must be a JSON object") }
        let config = try options.loadConfig()
        let gateway = Gateway(config: config, logger: options.makeLogger(default: .error))
        let request = JSONRPCMessage.Request(id: .int(1), method: MCPMethod.toolsCall, params: ["name": .string(name), "arguments": arguments])
        let response = try await withGateway(gateway) {
            await gateway.waitUntilReady(timeout: config.startupWait)
            return await gateway.handle(request, context: RequestContext(era: .legacy, protocolVersion: ProtocolVersion.latestLegacy))
        }
        switch response.outcome {
        case .failure(let error):
            FileHandle.standardError.write(Data("error \(error.code): \(error.message)\n".utf8))
            throw ExitCode(2)
        case .success(let result):
            if json {
                print(JSONWriter.string(result))
            } else {
                for block in result["content"]?.arrayValue ?? [] {
                    if let text = block["text"]?.stringValue { print(text) } else { print(JSONWriter.string(block)) }
                }
                if let structured = result["structuredContent"], result["content"]?.arrayValue?.isEmpty ?? true {
                    print(JSONWriter.string(structured))
                }
            }
            if result["isError"]?.boolValue == true { throw ExitCode(1) }
        }
    }
}
